import type { ErrorCode } from '../../core/errors';
import { TicketingError } from '../../core/errors';

/** The one place where error codes become HTTP statuses. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  ADMISSION_REQUIRED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  EMAIL_TAKEN: 409,
  SOLD_OUT: 409,
  INSUFFICIENT_AVAILABILITY: 409,
  LIMIT_EXCEEDED: 409,
  CONCERT_NOT_ON_SALE: 409,
  CAPACITY_BELOW_BOOKED: 409,
  RESERVATION_EXPIRED: 409,
  RESERVATION_CANCELLED: 409,
  RESERVATION_CONFIRMED: 409,
  TIER_AVAILABLE: 409,
  ALREADY_CHECKED_IN: 409,
  TICKET_NOT_FOUND: 404,
  TICKET_NOT_VALID: 409,
  QUEUE_NOT_OPEN: 409,
  QUEUE_ALREADY_OPEN: 409,
  PAYLOAD_TOO_LARGE: 413,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** PostgreSQL's class 22, "data exception" (postgresql.org/docs/current/errcodes-appendix.html). */
const DATA_EXCEPTION_SQLSTATE = /^22[0-9A-Z]{3}$/;
/** The same class as the RDS Data API reports it: in the message text only. */
const DATA_EXCEPTION_MESSAGE =
  /invalid byte sequence for encoding|invalid input syntax for type|out of range for type|value too long for type|unsupported Unicode escape sequence|(?:date|time|timestamp|interval) field value out of range|invalid input value for enum/i;

/**
 * True when the database refused a value the client sent (SQLSTATE class 22: a NUL byte in text, a date
 * out of range, a number too large for its column). Schemas should refuse such values first; this is the
 * backstop that keeps one that slipped through a 400, never a 500.
 */
export function isDataException(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DATA_EXCEPTION_SQLSTATE.test(code)) return true;
    if (DATA_EXCEPTION_MESSAGE.test(e.message)) return true;
  }
  return false;
}

/**
 * Known errors keep their message; a database data exception (see `isDataException`) is a 400
 * VALIDATION_FAILED; anything else becomes a bare 500 that leaks nothing.
 */
export function toErrorResponse(error: unknown): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
} {
  if (isDataException(error) && !(error instanceof TicketingError && error.code !== 'INTERNAL')) {
    return {
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', message: 'A value in the request cannot be stored' } },
      headers: {},
    };
  }
  if (!(error instanceof TicketingError)) {
    return {
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'Something went wrong on our side' } },
      headers: {},
    };
  }
  const status = HTTP_STATUS[error.code];
  const headers: Record<string, string> = {};
  const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
  if (error.code === 'SERVICE_UNAVAILABLE') headers['retry-after'] ??= '2';
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (status < 500 && error.details !== undefined) body.error.details = error.details;
  return { status, body, headers };
}

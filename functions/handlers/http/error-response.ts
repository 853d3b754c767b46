import type { ErrorCode } from '../../core/errors';
import { TicketingError } from '../../core/errors';

/** The one place where error codes become HTTP statuses. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
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
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** Known errors keep their message; anything else becomes a bare 500 that leaks nothing. */
export function toErrorResponse(error: unknown): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
} {
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

import { ApiError } from './api-client';
import type { ErrorCode } from './contract';

/** What a fan or an organiser reads for each code of the contract. */
const MESSAGES: Record<ErrorCode | 'NETWORK', string> = {
  VALIDATION_FAILED: 'Some of what you entered is not valid.',
  PAYLOAD_TOO_LARGE: 'That request is too large.',
  UNAUTHORIZED: 'Please log in to continue.',
  FORBIDDEN: 'Only organisers can do that.',
  NOT_FOUND: 'We could not find that. It may have been removed.',
  METHOD_NOT_ALLOWED: 'That action is not available.',
  EMAIL_TAKEN: 'An account with this e-mail already exists. Log in instead.',
  INVALID_CREDENTIALS: 'That e-mail and password do not match.',
  RATE_LIMITED: 'Too many attempts. Please wait a moment and try again.',
  SOLD_OUT: 'Sold out: every ticket in this tier is taken.',
  INSUFFICIENT_AVAILABILITY: 'Not enough tickets left in this tier for that quantity. Try fewer.',
  LIMIT_EXCEEDED: 'That is more tickets than one fan may have for this concert.',
  CONCERT_NOT_ON_SALE: 'This concert is not on sale right now.',
  CAPACITY_BELOW_BOOKED: 'A tier cannot be smaller than the tickets already sold or held in it.',
  RESERVATION_EXPIRED: 'Your hold expired and the tickets went back on sale. Reserve again to try.',
  RESERVATION_CANCELLED: 'This reservation was cancelled.',
  RESERVATION_CONFIRMED: 'This reservation is already confirmed: your tickets are in My tickets.',
  TIER_AVAILABLE: 'Tickets of this tier can be reserved right now: no need to wait.',
  ALREADY_CHECKED_IN: 'Already checked in: this ticket was let in before.',
  TICKET_NOT_FOUND: 'No ticket has this code.',
  TICKET_NOT_VALID: 'This ticket is not valid for this door (cancelled, or for another concert).',
  IDEMPOTENCY_KEY_REUSED: 'That request was already sent with different details. Please try again.',
  ADMISSION_REQUIRED:
    'This sale goes through the waiting room: wait for your turn in line, then reserve before your time to buy runs out.',
  QUEUE_NOT_OPEN: 'This concert has no waiting room: reserve directly.',
  QUEUE_ALREADY_OPEN: 'The sale has opened and fans are in line: the on-sale time can no longer be moved.',
  SERVICE_UNAVAILABLE: 'The service is busy right now. Please try again in a few seconds.',
  INTERNAL: 'Something went wrong on our side. Please try again.',
  NETWORK: 'The service could not be reached. Check your connection and try again.',
};

const numberIn = (details: unknown, key: string): number | undefined => {
  const value =
    details && typeof details === 'object' ? (details as Record<string, unknown>)[key] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

/**
 * The bound a refusal names in its `details`, in words: the most a fan may take, what is left, how long to
 * wait. Undefined when the details do not say (then the plain sentence stands alone).
 */
function boundOf(error: ApiError): string | undefined {
  const max = numberIn(error.details, 'max');
  const current = numberIn(error.details, 'current');
  const scope =
    error.details && typeof error.details === 'object'
      ? (error.details as { scope?: unknown }).scope
      : undefined;
  switch (error.code) {
    case 'INSUFFICIENT_AVAILABILITY': {
      const available = numberIn(error.details, 'available');
      return available === undefined ? undefined : `${available} left: choose ${available} or fewer.`;
    }
    case 'LIMIT_EXCEEDED':
      if (max === undefined) return undefined;
      if (scope === 'order') return `At most ${max} per order.`;
      if (scope === 'holds') return `At most ${max} open holds at once: confirm or cancel one first.`;
      return current === undefined ? `At most ${max}.` : `At most ${max}; you have ${current} already.`;
    case 'RATE_LIMITED': {
      const seconds = numberIn(error.details, 'retryAfterSeconds');
      return seconds === undefined ? undefined : `Try again in ${Math.max(1, Math.ceil(seconds))} s.`;
    }
    default:
      return undefined;
  }
}

/**
 * One sentence for any failure, and the bound it names when the service says (see `boundOf`); the
 * service's own message is kept for validation details.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return MESSAGES.INTERNAL;
  const known = MESSAGES[error.code] ?? MESSAGES.INTERNAL;
  if (error.code === 'VALIDATION_FAILED') return `${known} ${error.message}`;
  const bound = boundOf(error);
  return bound ? `${known} ${bound}` : known;
}

export const errorCodeOf = (error: unknown): string | undefined =>
  error instanceof ApiError ? error.code : undefined;

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
  IDEMPOTENCY_KEY_REUSED: 'That request was already sent with different details. Please try again.',
  SERVICE_UNAVAILABLE: 'The service is busy right now. Please try again in a few seconds.',
  INTERNAL: 'Something went wrong on our side. Please try again.',
  NETWORK: 'The service could not be reached. Check your connection and try again.',
};

/** One sentence for any failure; the service's own message is kept for validation details. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return MESSAGES.INTERNAL;
  const known = MESSAGES[error.code] ?? MESSAGES.INTERNAL;
  return error.code === 'VALIDATION_FAILED' ? `${known} ${error.message}` : known;
}

export const errorCodeOf = (error: unknown): string | undefined =>
  error instanceof ApiError ? error.code : undefined;

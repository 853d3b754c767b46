/** Stable error codes of the public contract (../shared/API.md). One family for the whole service. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'EMAIL_TAKEN'
  | 'INVALID_CREDENTIALS'
  | 'RATE_LIMITED'
  | 'SOLD_OUT'
  | 'INSUFFICIENT_AVAILABILITY'
  | 'LIMIT_EXCEEDED'
  | 'CONCERT_NOT_ON_SALE'
  | 'CAPACITY_BELOW_BOOKED'
  | 'RESERVATION_EXPIRED'
  | 'RESERVATION_CANCELLED'
  | 'RESERVATION_CONFIRMED'
  | 'IDEMPOTENCY_KEY_REUSED'
  /** Waiting list: nobody waits for the tier and the quantity can be reserved right now. */
  | 'TIER_AVAILABLE'
  // Check-in at the door (issue 21).
  | 'ALREADY_CHECKED_IN'
  | 'TICKET_NOT_FOUND'
  | 'TICKET_NOT_VALID'
  /** Waiting room: a reservation without a valid admission for this fan and concert (403). */
  | 'ADMISSION_REQUIRED'
  /** Waiting room: joining the queue of a concert that has none (409). */
  | 'QUEUE_NOT_OPEN'
  /** Waiting room: moving `onSaleAt` once the sale has opened with fans in the queue (409). */
  | 'QUEUE_ALREADY_OPEN'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL';

export class TicketingError extends Error {
  override readonly name = 'TicketingError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const notFound = (what: string): TicketingError =>
  new TicketingError('NOT_FOUND', `${what} not found`);

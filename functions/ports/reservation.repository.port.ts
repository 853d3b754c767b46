import type { Reservation, Ticket } from '../core/model';

export interface HoldRequest {
  userId: string;
  concertId: string;
  tierId: string;
  quantity: number;
  idempotencyKey: string | null;
  holdSeconds: number;
  /** Most tickets (held + confirmed) the user may have for the concert; 0 = no limit. */
  perUserLimit: number;
  /** Most holds (not yet confirmed) the user may have open at once, over all concerts; 0 = no limit. */
  activeHoldLimit: number;
}

/**
 * The outcome of one atomic hold attempt (one SQL statement). Every outcome but 'created' wrote nothing.
 * 'existing': the same request came before with this Idempotency-Key (same concert, tier and quantity);
 * 'key-reused': the key was used before for another request; 'user-gone': the user row no longer exists
 * (a deleted account, or a backup restored from before it) though its token is still valid.
 */
export type HoldOutcome =
  | {
      kind: 'created';
      reservation: Reservation;
      /** The tier's `available` as this hold's claim left it (overdue holds not added back). */
      tierAvailableAfter: number;
      /** The tier's `version` as this hold's claim left it, when the statement answers it (batches do). */
      tierVersionAfter?: number;
    }
  | { kind: 'existing'; reservation: Reservation }
  | { kind: 'key-reused' }
  | { kind: 'user-gone' }
  | { kind: 'not-found' }
  | { kind: 'not-on-sale' }
  | { kind: 'order-limit'; maxPerOrder: number }
  | { kind: 'user-limit'; limit: number; current: number }
  | { kind: 'hold-limit'; limit: number; current: number }
  | { kind: 'sold-out' }
  | { kind: 'insufficient'; available: number };

/** Every outcome but a 'confirmed' with `changed` wrote nothing. */
export type ConfirmOutcome =
  /** `changed` is false when it had been confirmed before (a repeated confirm: the same tickets). */
  | { kind: 'confirmed'; reservation: Reservation; tickets: Ticket[]; changed: boolean }
  | { kind: 'not-found' }
  /** The hold is live but its concert is paused, cancelled or has started. */
  | { kind: 'not-on-sale' }
  /** Expired or cancelled: the reservation says which. */
  | { kind: 'refused'; reservation: Reservation };

export type CancelOutcome =
  /** `changed` is false when it had been cancelled before (a repeated DELETE). */
  | { kind: 'cancelled'; reservation: Reservation; changed: boolean }
  | { kind: 'not-found' }
  | { kind: 'refused'; reservation: Reservation };

/** `ownerId` null means "any owner" (an admin acting). */
export interface ReservationRepository {
  /**
   * One hold attempt. Concurrent attempts may be sent together, but each answers alone: another
   * request's failure (in the same batch) never becomes this one's.
   */
  hold(request: HoldRequest): Promise<HoldOutcome>;
  /**
   * Confirms a live hold of an on-sale concert, atomically with that check. `ticketCodes` has one fresh
   * code per ticket; unused when the reservation was confirmed before.
   */
  confirm(reservationId: string, ownerId: string, ticketCodes: string[]): Promise<ConfirmOutcome>;
  cancel(reservationId: string, ownerId: string | null): Promise<CancelOutcome>;
  find(reservationId: string, ownerId: string | null): Promise<Reservation | null>;
  listByUser(userId: string): Promise<Reservation[]>;
  listTicketsByUser(userId: string): Promise<Ticket[]>;
}

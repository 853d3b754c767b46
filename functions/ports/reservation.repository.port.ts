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

/** The outcome of one atomic hold attempt (one SQL statement). */
export type HoldOutcome =
  | { kind: 'created'; reservation: Reservation; tierAvailableAfter: number }
  | { kind: 'existing'; reservation: Reservation }
  | { kind: 'not-found' }
  | { kind: 'not-on-sale' }
  | { kind: 'order-limit'; maxPerOrder: number }
  | { kind: 'user-limit'; limit: number; current: number }
  | { kind: 'hold-limit'; limit: number; current: number }
  | { kind: 'sold-out' }
  | { kind: 'insufficient'; available: number };

export type ConfirmOutcome =
  | { kind: 'confirmed'; reservation: Reservation; tickets: Ticket[] }
  | { kind: 'not-found' }
  | { kind: 'refused'; reservation: Reservation };

export type CancelOutcome =
  /** `changed` is false when it had been cancelled before (a repeated DELETE). */
  | { kind: 'cancelled'; reservation: Reservation; changed: boolean }
  | { kind: 'not-found' }
  | { kind: 'refused'; reservation: Reservation };

/** `ownerId` null means "any owner" (an admin acting). */
export interface ReservationRepository {
  hold(request: HoldRequest): Promise<HoldOutcome>;
  /** `ticketCodes` has one fresh code per ticket; unused when the reservation was confirmed before. */
  confirm(reservationId: string, ownerId: string, ticketCodes: string[]): Promise<ConfirmOutcome>;
  cancel(reservationId: string, ownerId: string | null): Promise<CancelOutcome>;
  find(reservationId: string, ownerId: string | null): Promise<Reservation | null>;
  listByUser(userId: string): Promise<Reservation[]>;
  listTicketsByUser(userId: string): Promise<Ticket[]>;
}

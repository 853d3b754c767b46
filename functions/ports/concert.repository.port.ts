import type { Concert, ConcertStatus, WaitingRoomSettings } from '../core/model';
import type { QueuedEmail } from './outbox.repository.port';

export interface NewTier {
  name: string;
  priceCents: number;
  currency: string;
  capacity: number;
  maxPerOrder: number;
}

export interface NewConcert {
  title: string;
  artist: string;
  venue: string;
  startsAt: string;
  status: ConcertStatus;
  tiers: NewTier[];
  /** When the sale opens (ISO time); omitted: none. */
  onSaleAt?: string | undefined;
  /** Omitted: no waiting room (and `waitingRoom` left out of the public Concert). */
  waitingRoom?: WaitingRoomSettings | undefined;
}

export interface TierChange {
  id: string;
  name?: string | undefined;
  priceCents?: number | undefined;
  capacity?: number | undefined;
  maxPerOrder?: number | undefined;
}

export interface ConcertChange {
  title?: string | undefined;
  artist?: string | undefined;
  venue?: string | undefined;
  startsAt?: string | undefined;
  status?: ConcertStatus | undefined;
  /** A new on-sale time; null clears it. */
  onSaleAt?: string | null | undefined;
  /** Only the fields given change; the rest keep their value (or the defaults, on first setting). */
  waitingRoom?: Partial<WaitingRoomSettings> | undefined;
  tierChanges: TierChange[];
  newTiers: NewTier[];
}

/**
 * One buyer of a concert that is being cancelled, as found in the cancelling transaction: the holds
 * released and the tickets voided (counts of tickets; money in integer cents of `currency`).
 */
export interface CancelledHolder {
  userId: string;
  email: string;
  name: string;
  /** Tickets of live holds given back. */
  heldTickets: number;
  /** Tickets of confirmed reservations voided (reservations now `cancelled`). */
  confirmedTickets: number;
  /** What the voided confirmed reservations cost, to refund (cents), per currency. */
  refunds: Array<{ currency: string; cents: number }>;
}

/** What the repository writes besides the change itself, in the same transaction. */
export interface ChangeEffects {
  /** Most tiers a concert may have in total (VALIDATION_FAILED beyond it). */
  maxTiersPerConcert: number;
  /** The e-mails queued to the outbox, with their dedupe keys, when the change cancels the concert. */
  cancellationEmails(concert: Concert, holders: CancelledHolder[]): QueuedEmail[];
}

export type ConcertUpdateOutcome =
  | {
      kind: 'updated';
      concert: Concert;
      /** Set when this change moved the concert to `cancelled`: whose holds and tickets it ended. */
      cancelled?: { holders: CancelledHolder[]; releasedHolds: number; voidedReservations: number };
    }
  | { kind: 'not-found' }
  | { kind: 'unknown-tier'; tierId: string }
  | { kind: 'duplicate-tier-name'; name: string }
  | { kind: 'capacity-below-booked'; tierId: string; booked: number }
  | { kind: 'too-many-tiers'; max: number; total: number }
  | { kind: 'cancelled-is-final' };

/** A concert as read, with the moment its availability next changes by itself (a live hold runs out). */
export interface TimedConcert {
  concert: Concert;
  /** Epoch ms of the earliest `expiresAt` among the live holds it counts; null when none. */
  nextExpiryAt: number | null;
}

export interface ConcertRepository {
  list(): Promise<Concert[]>;
  get(id: string): Promise<Concert | null>;
  /** Returns null when two tiers share a name. */
  insert(concert: NewConcert): Promise<Concert | null>;
  /**
   * All or nothing: any outcome but `updated` leaves every row as it was (the transaction is rolled back).
   * Cancelling (status `cancelled` on a concert that was not) releases its live holds, cancels its
   * confirmed reservations (tickets back to available, so `available = capacity - held - confirmed` holds)
   * and queues `effects.cancellationEmails` to the outbox, all in the same transaction. Without `effects`,
   * the defaults of functions/core/concert-limits.ts and concert-cancellation.ts apply.
   */
  update(id: string, change: ConcertChange, effects?: ChangeEffects): Promise<ConcertUpdateOutcome>;
}

/** The database side of the read cache: reads that also say how long they stay true. */
export interface TimedConcertReads {
  getTimed(id: string): Promise<TimedConcert | null>;
  listTimed(): Promise<TimedConcert[]>;
}

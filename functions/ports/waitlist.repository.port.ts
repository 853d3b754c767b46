import type { Reservation } from '../core/model';
import type { QueuedEmail } from './outbox.repository.port';

/**
 * Where an entry stands: `waiting` in line, `offered` a hold made for the fan (live), `claimed` that hold
 * confirmed, `expired` the offer ran out (or the entry could no longer be served: over a limit, or the
 * concert cancelled), `left` the fan left the list or cancelled the offer's hold.
 */
export type WaitlistStatus = 'waiting' | 'offered' | 'claimed' | 'expired' | 'left';

/** One fan's place on one tier's waiting list (migration 011). */
export interface WaitlistEntry {
  id: string;
  concertId: string;
  tierId: string;
  userId: string;
  quantity: number;
  status: WaitlistStatus;
  /** 1-based among those still waiting for the tier; null once the entry no longer waits. */
  position: number | null;
  createdAt: string;
  /** The hold made for the fan, once offered (whatever became of it since). */
  reservation: Reservation | null;
}

/** What joining answers; every outcome but `created` wrote nothing. */
export type JoinOutcome =
  | { kind: 'created'; entry: WaitlistEntry }
  /** The fan already has a live (waiting or offered) entry for the tier: that one, unchanged. */
  | { kind: 'existing'; entry: WaitlistEntry }
  | { kind: 'not-found' }
  | { kind: 'not-on-sale' }
  | { kind: 'user-gone' }
  /** `maxPerOrder`: the most one entry can be offered, the lesser of the tier's maxPerOrder and capacity. */
  | { kind: 'order-limit'; maxPerOrder: number }
  /** `current`: tickets the fan holds (live) or bought for the concert. */
  | { kind: 'user-limit'; limit: number; current: number }
  /** Nobody waits and `available` (≥ 1, whatever the quantity asked) can be reserved right now. */
  | { kind: 'tier-available'; available: number };

export interface JoinRequest {
  userId: string;
  concertId: string;
  tierId: string;
  quantity: number;
  /** TICKETS_PER_USER_LIMIT (tickets; 0 = no limit), checked at the join and again when the offer is made. */
  perUserLimit: number;
  /** WAITLIST_OFFER_SECONDS (s): how long the hold made for this fan will last. */
  offerSeconds: number;
}

/** A tier's list as the organiser's console shows it. */
export interface WaitlistTierStats {
  tierId: string;
  /** Fans waiting now (the list's length). */
  waiting: number;
  /** Tickets those fans wait for. */
  waitingTickets: number;
  /** Offers still open (a live hold). */
  offered: number;
  /** Every offer ever made for the tier. */
  offersMade: number;
  claimed: number;
  expired: number;
  left: number;
}

/** An offer made and not yet announced to its fan, with what the e-mail needs. */
export interface PendingOffer {
  entryId: string;
  userId: string;
  email: string;
  name: string;
  concertTitle: string;
  tierName: string;
  reservation: Reservation;
}

export interface WaitlistRepository {
  /** Joins (see JoinOutcome); the place is answered in `entry.position`. */
  join(request: JoinRequest): Promise<JoinOutcome>;
  /**
   * Leaves the fan's live entry for the tier (an open offer is declined: its hold is cancelled and its
   * tickets offered to the next fan, in the same transaction). Null: no live entry.
   */
  leave(userId: string, concertId: string, tierId: string): Promise<WaitlistEntry | null>;
  /** The fan's entries, newest first (at most 200), with their status as of now. */
  listByUser(userId: string): Promise<WaitlistEntry[]>;
  /** Per tier of the concert (tier order); null: no such concert. */
  stats(concertId: string): Promise<WaitlistTierStats[] | null>;
  /**
   * Takes up to `limit` offers not yet announced, queues their e-mails (`emails(offers)`, deduplicated by
   * key) and marks them announced, in one transaction: each offer is mailed once however many callers
   * race. Answers the offers taken, for the live message (sent after the commit: at most once).
   */
  announceOffers(limit: number, emails: (offers: PendingOffer[]) => QueuedEmail[]): Promise<PendingOffer[]>;
}

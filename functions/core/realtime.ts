import type { Concert, ConcertStatus, Reservation } from './model';

/** Server → client messages of the real-time protocol (../shared/API.md, "WebSocket"). */
export interface ConcertUpdateMessage {
  type: 'concert-update';
  concertId: string;
  availableTickets: number;
  totalBooked: number;
  tiers: Array<{ id: string; available: number; capacity: number }>;
  /**
   * The concert's status as of this version (`on-sale`, `paused`, `cancelled`): a watcher learns of a
   * cancellation from the same message that gives its released tickets back. Always sent; optional in
   * the type because it came after the first release: a reader of an older message (a relay stream entry
   * written before) keeps the status it holds.
   */
  status?: ConcertStatus;
  /** Only grows per concert; a client ignores an update older than the one it holds. */
  version: number;
}

export type AdminEvent =
  | 'new-reservation'
  | 'reservation-confirmed'
  | 'reservation-cancelled'
  | 'sold-out'
  | 'holds-expired'
  | 'concert-created'
  | 'concert-updated'
  /** Sent once, besides `concert-updated`, by the change that moved a concert to `cancelled`. */
  | 'concert-cancelled'
  /** A ticket was let in for the first time (check-in at the door; repeats send nothing). */
  | 'checked-in';

export interface AdminNotification {
  type: 'admin-notification';
  event: AdminEvent;
  concertId: string;
  reservationId?: string;
  tierId?: string;
  at: string;
}

export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

/**
 * `{"type":"waitlist-offer","concertId","tierId","reservation"}` as a fan receives it: a waiting-list offer,
 * a hold made for them (the contract's reservation shape, without the owner).
 */
export interface WaitlistOfferMessage {
  type: 'waitlist-offer';
  concertId: string;
  tierId: string;
  reservation: Omit<Reservation, 'userId'>;
}

/**
 * A message for one fan's connections only, as the bus carries it: `userId` says whose (every replica
 * delivers it to that fan's connections it holds) and is taken off before it is sent ({@link forTheFan}).
 */
export interface FanMessage extends WaitlistOfferMessage {
  userId: string;
}

/** The bus message for a waiting-list offer to `userId` of the hold `reservation` (owner id taken off). */
export function waitlistOfferMessage(reservation: Reservation): FanMessage {
  const { userId, ...rest } = reservation;
  return {
    type: 'waitlist-offer',
    userId,
    concertId: rest.concertId,
    tierId: rest.tierId,
    reservation: rest,
  };
}

/** What the fan's connections are sent: the message without the bus's addressing. */
export function forTheFan({ userId: _whose, ...message }: FanMessage): WaitlistOfferMessage {
  return message;
}

/**
 * The admin feed's aggregated form of `new-reservation` during a sale (issue 19): per concert, how many
 * holds committed in the window `from`–`to` (ISO 8601) beyond those announced one by one. The first few
 * holds of a window (3 a second per publishing process) still go out as their own `admin-notification`;
 * the ones after them are counted here, so a feed gets a few messages a second whatever the sale's rate,
 * and the `new-reservation` notices plus these counts add up to every hold.
 */
export interface ReservationsSummary {
  type: 'reservations';
  from: string;
  to: string;
  concerts: Array<{ concertId: string; holds: number }>;
}

export type RealtimeMessage = ConcertUpdateMessage | AdminNotification | FanMessage | ReservationsSummary;

/** The `concert-update` a watcher gets for `concert` as it is now: counts per tier and in total, status, version. */
export function concertUpdate(concert: Concert): ConcertUpdateMessage {
  return {
    type: 'concert-update',
    concertId: concert.id,
    availableTickets: concert.availableTickets,
    totalBooked: concert.totalBooked,
    tiers: concert.tiers.map((tier) => ({ id: tier.id, available: tier.available, capacity: tier.capacity })),
    status: concert.status,
    version: concert.version,
  };
}

export function adminNotification(
  notice: Omit<AdminNotification, 'type' | 'at'>,
  at: Date = new Date(),
): AdminNotification {
  return { type: 'admin-notification', ...notice, at: at.toISOString() };
}

/**
 * A concert as a newer update says it is now (counts per tier and in total, status); the same object when the
 * update is for another concert or not newer than what is held, since versions only grow.
 * The read cache and the web page both keep their copies with it.
 */
export function applyConcertUpdate(concert: Concert, update: ConcertUpdateMessage): Concert {
  if (update.concertId !== concert.id || update.version <= concert.version) return concert;
  const tiers = new Map(update.tiers.map((tier) => [tier.id, tier]));
  return {
    ...concert,
    availableTickets: update.availableTickets,
    totalBooked: update.totalBooked,
    // An update written before `status` was part of the message leaves the status as it was.
    status: update.status ?? concert.status,
    version: update.version,
    tiers: concert.tiers.map((tier) => {
      const fresh = tiers.get(tier.id);
      return fresh ? { ...tier, available: fresh.available, capacity: fresh.capacity } : tier;
    }),
  };
}

/** What a log line says of a message: its kind, concert, and version or event. */
export function eventSummary(message: RealtimeMessage): Record<string, string | number | undefined> {
  if (message.type === 'waitlist-offer')
    return { type: message.type, concertId: message.concertId, reservationId: message.reservation.id };
  if (message.type === 'reservations') {
    return {
      type: message.type,
      concerts: message.concerts.length,
      holds: message.concerts.reduce((sum, concert) => sum + concert.holds, 0),
    };
  }
  return message.type === 'concert-update'
    ? { type: message.type, concertId: message.concertId, version: message.version, status: message.status }
    : {
        type: message.type,
        event: message.event,
        concertId: message.concertId,
        reservationId: message.reservationId,
      };
}

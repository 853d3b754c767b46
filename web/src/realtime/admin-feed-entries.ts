import type { AdminNotification, ReservationsSummary } from '../api/contract';

/** Rows the organiser's feed keeps (newest first). */
export const FEED_ROWS = 50;

/**
 * One row of the organiser's live feed: a notice as sent, or, with `holds`, that many new reservations of
 * one concert counted together (a `reservations` summary: during a sale the feed sends the first few holds
 * a second one by one and counts the rest, so the notices plus the counts are every hold).
 */
export type FeedNotice = AdminNotification & { holds?: number };

/** What the console knows of the admin feed: its rows, and every new reservation announced so far. */
export interface AdminFeedEntries {
  notices: FeedNotice[];
  /** New reservations since the feed opened: one per `new-reservation` notice plus each summary's counts. */
  newReservations: number;
}

export const EMPTY_FEED: AdminFeedEntries = { notices: [], newReservations: 0 };

/**
 * The feed after one message: a notice becomes a row; a `reservations` summary becomes one
 * `new-reservation` row per concert (at the summary's end, `to`) carrying its count. Rows past
 * {@link FEED_ROWS} are dropped; the count keeps everything.
 */
export function withAdminMessage(
  feed: AdminFeedEntries,
  message: AdminNotification | ReservationsSummary,
): AdminFeedEntries {
  if (message.type === 'admin-notification') {
    return {
      notices: [message, ...feed.notices].slice(0, FEED_ROWS),
      newReservations: feed.newReservations + (message.event === 'new-reservation' ? 1 : 0),
    };
  }
  const rows: FeedNotice[] = message.concerts
    .filter((concert) => concert.holds > 0)
    .map((concert) => ({
      type: 'admin-notification',
      event: 'new-reservation',
      concertId: concert.concertId,
      at: message.to,
      holds: concert.holds,
    }));
  return {
    notices: [...rows, ...feed.notices].slice(0, FEED_ROWS),
    newReservations: rows.reduce((sum, row) => sum + (row.holds ?? 0), feed.newReservations),
  };
}

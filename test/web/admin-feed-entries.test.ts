import { describe, expect, it } from 'vitest';
import type { AdminNotification, ReservationsSummary } from '../../web/src/api/contract';
import { EMPTY_FEED, FEED_ROWS, withAdminMessage } from '../../web/src/realtime/admin-feed-entries';

// Issue 19: during a sale the admin feed sends the first holds of each second one by one and counts the
// rest in a `reservations` summary. The console ignored the summaries, so it showed a few new reservations
// a second whatever the sale's rate.

const notice = (event: AdminNotification['event'], concertId: string, at: string): AdminNotification => ({
  type: 'admin-notification',
  event,
  concertId,
  at,
});

const summary = (to: string, concerts: ReservationsSummary['concerts']): ReservationsSummary => ({
  type: 'reservations',
  from: '2026-12-01T10:00:00.000Z',
  to,
  concerts,
});

describe("the organiser console's admin feed", () => {
  it('counts the holds of a reservations summary, one row per concert, beside the notices', () => {
    let feed = EMPTY_FEED;
    feed = withAdminMessage(feed, notice('new-reservation', 'c1', '2026-12-01T10:00:00.100Z'));
    feed = withAdminMessage(feed, notice('sold-out', 'c2', '2026-12-01T10:00:00.200Z'));
    feed = withAdminMessage(
      feed,
      summary('2026-12-01T10:00:01.000Z', [
        { concertId: 'c1', holds: 40 },
        { concertId: 'c2', holds: 2 },
      ]),
    );
    expect(feed.newReservations).toBe(1 + 40 + 2);
    expect(feed.notices.map((row) => [row.event, row.concertId, row.holds])).toEqual([
      ['new-reservation', 'c1', 40],
      ['new-reservation', 'c2', 2],
      ['sold-out', 'c2', undefined],
      ['new-reservation', 'c1', undefined],
    ]);
    expect(feed.notices[0]?.at).toBe('2026-12-01T10:00:01.000Z');
  });

  it('keeps the last rows but counts every hold', () => {
    let feed = EMPTY_FEED;
    for (let i = 0; i < FEED_ROWS + 10; i++) {
      feed = withAdminMessage(
        feed,
        summary(new Date(Date.UTC(2026, 11, 1, 10, 0, i)).toISOString(), [{ concertId: 'c1', holds: 3 }]),
      );
    }
    expect(feed.notices).toHaveLength(FEED_ROWS);
    expect(feed.newReservations).toBe((FEED_ROWS + 10) * 3);
  });
});

import type { AdminEvent } from '../../api/contract';
import { LinkBadge, Notice } from '../../components/status';
import type { AdminFeedState } from '../../realtime/use-admin-feed';

const EVENT_TEXT: Record<AdminEvent, string> = {
  'new-reservation': 'New reservation',
  'reservation-confirmed': 'Reservation confirmed',
  'reservation-cancelled': 'Reservation cancelled',
  'sold-out': 'Sold out',
  'holds-expired': 'Holds expired',
  'concert-created': 'Concert created',
  'concert-updated': 'Concert updated',
  'concert-cancelled': 'Concert cancelled',
  'checked-in': 'Ticket checked in',
};

/** The live feed of admin notifications, newest first (the console owns the socket: its table reacts too). */
export function AdminFeed({ titles, feed }: { titles: Map<string, string>; feed: AdminFeedState }) {
  const { notices, newReservations, link, error } = feed;
  return (
    <section className="panel feed" aria-labelledby="feed-heading">
      <div className="heading-row">
        <h2 id="feed-heading">Live notifications</h2>
        <LinkBadge state={link} />
      </div>
      <Notice kind="error">{error}</Notice>
      {newReservations > 0 && (
        <p className="muted" data-testid="new-reservations">
          {newReservations} new {newReservations === 1 ? 'reservation' : 'reservations'} since this page
          opened
        </p>
      )}
      {notices.length === 0 && (
        <p className="muted">Nothing yet: notifications appear here as they happen.</p>
      )}
      <ol className="feed-list" aria-live="polite" aria-relevant="additions">
        {notices.map((notice) => (
          <li
            key={`${notice.at}-${notice.event}-${notice.reservationId ?? notice.concertId}-${notice.holds ?? ''}`}
            data-testid="notification"
            data-event={notice.event}
            data-holds={notice.holds}
          >
            <strong>
              {notice.holds === undefined
                ? (EVENT_TEXT[notice.event] ?? notice.event)
                : `${notice.holds} new ${notice.holds === 1 ? 'reservation' : 'reservations'}`}
            </strong>{' '}
            · {titles.get(notice.concertId) ?? 'a concert'}{' '}
            <time className="muted" dateTime={notice.at}>
              {new Date(notice.at).toLocaleTimeString()}
            </time>
          </li>
        ))}
      </ol>
    </section>
  );
}

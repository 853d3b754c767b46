import { Link } from 'react-router';
import type { Concert, PublicReservation } from '../api/contract';
import { formatClock, formatDateTime, formatMoney } from '../components/format';
import { Loading, Notice } from '../components/status';
import { TicketQr } from '../components/ticket-qr';
import { useCountdown } from '../components/use-countdown';
import { useLoad } from '../components/use-load';
import { useSession } from '../session/session';
import { describeWaitlistEntry } from './waitlist-panel';

/** The fan's tickets, each with its code as a QR code. */
export function MyTicketsPage() {
  const { api, user } = useSession();
  const { data, error } = useLoad(async () => {
    if (!user) return null;
    const [{ tickets }, { reservations }, { concerts }, { entries }] = await Promise.all([
      api.myTickets(),
      api.myReservations(),
      api.listConcerts(),
      api.myWaitlist(),
    ]);
    // Open holds come first: they are tickets not yet the fan's, with a clock running.
    const now = Date.now();
    const holds = reservations.filter((hold) => hold.status === 'held' && Date.parse(hold.expiresAt) > now);
    // Waiting lists the fan is still on (waiting, or with an offer open), newest first.
    const waitlist = entries.filter((entry) => entry.status === 'waiting' || entry.status === 'offered');
    return { tickets, holds, concerts, waitlist };
  }, [api, user]);

  if (!user) {
    return (
      <p>
        <Link to="/login?next=/tickets">Log in</Link> to see your tickets.
      </p>
    );
  }
  return (
    <section aria-labelledby="tickets-heading">
      <h1 id="tickets-heading">My tickets</h1>
      <Notice kind="error">{error}</Notice>
      {!data && !error && <Loading what="your tickets" />}
      {data && data.holds.length > 0 && (
        <section aria-labelledby="holds-heading">
          <h2 id="holds-heading">Open holds</h2>
          <p className="muted">Not yours yet: confirm each on its concert page before its time runs out.</p>
          <ul className="cards holds">
            {data.holds.map((hold) => (
              <OpenHold
                key={hold.id}
                hold={hold}
                concert={data.concerts.find((candidate) => candidate.id === hold.concertId)}
              />
            ))}
          </ul>
        </section>
      )}
      {data && data.waitlist.length > 0 && (
        <section aria-labelledby="waitlists-heading">
          <h2 id="waitlists-heading">My waiting lists</h2>
          <ul className="cards waitlists">
            {data.waitlist.map((entry) => {
              const concert = data.concerts.find((candidate) => candidate.id === entry.concertId);
              const tier = concert?.tiers.find((candidate) => candidate.id === entry.tierId);
              return (
                <li key={entry.id} className="card" data-testid="my-waitlist" data-status={entry.status}>
                  <h3>
                    <Link to={`/concerts/${entry.concertId}`}>{concert?.title ?? 'Concert'}</Link>
                  </h3>
                  <p>
                    {entry.quantity} × {tier?.name ?? 'ticket'}: {describeWaitlistEntry(entry)}
                  </p>
                </li>
              );
            })}
          </ul>
        </section>
      )}
      {data?.tickets.length === 0 && (
        <p>
          No tickets yet. <Link to="/">Find a concert</Link>.
        </p>
      )}
      <ul className="cards tickets">
        {data?.tickets.map((ticket) => {
          const concert = data.concerts.find((candidate) => candidate.id === ticket.concertId);
          const tier = concert?.tiers.find((candidate) => candidate.id === ticket.tierId);
          return (
            <li key={ticket.id} className="card ticket" data-testid="ticket">
              <TicketQr code={ticket.code} />
              <div>
                <h2>{concert?.title ?? 'Concert'}</h2>
                <p className="muted">
                  {tier?.name ?? 'Ticket'}
                  {concert && ` · ${concert.venue} · ${formatDateTime(concert.startsAt)}`}
                </p>
                <p>
                  Code: <code data-testid="ticket-code">{ticket.code}</code>
                </p>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** A hold not confirmed yet: what it is, its countdown, and the way back to its concert to confirm it. */
function OpenHold({ hold, concert }: { hold: PublicReservation; concert: Concert | undefined }) {
  const seconds = useCountdown(hold.expiresAt);
  const tier = concert?.tiers.find((candidate) => candidate.id === hold.tierId);
  const title = concert?.title ?? 'Concert';
  return (
    <li className="card hold" data-testid="open-hold" data-status={seconds === 0 ? 'expired' : 'held'}>
      <h3>
        <Link to={`/concerts/${hold.concertId}`}>{title}</Link>
      </h3>
      <p>
        {hold.quantity} × {tier?.name ?? 'ticket'} — {formatMoney(hold.totalCents, hold.currency)}
      </p>
      {seconds > 0 ? (
        <p className="countdown">
          Held for{' '}
          <span role="timer" aria-live="off" data-testid="countdown">
            {formatClock(seconds)}
          </span>
          . <Link to={`/concerts/${hold.concertId}`}>Confirm it on the concert page</Link>.
        </p>
      ) : (
        <p className="muted">This hold expired and the tickets went back on sale.</p>
      )}
    </li>
  );
}

import { Link } from 'react-router';
import { formatDateTime } from '../components/format';
import { Loading, Notice } from '../components/status';
import { TicketQr } from '../components/ticket-qr';
import { useLoad } from '../components/use-load';
import { useSession } from '../session/session';

/** The fan's tickets, each with its code as a QR code. */
export function MyTicketsPage() {
  const { api, user } = useSession();
  const { data, error } = useLoad(async () => {
    if (!user) return null;
    const [{ tickets }, { concerts }] = await Promise.all([api.myTickets(), api.listConcerts()]);
    return { tickets, concerts };
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

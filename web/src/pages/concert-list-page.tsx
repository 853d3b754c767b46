import { Link } from 'react-router';
import type { Concert } from '../api/contract';
import { formatDateTime, formatMoney } from '../components/format';
import { LinkBadge, Loading, Notice } from '../components/status';
import { useLoad } from '../components/use-load';
import { useLiveConcerts } from '../realtime/use-live-concerts';
import { useSession } from '../session/session';

/** Every concert with live availability per tier. */
export function ConcertListPage() {
  const { api } = useSession();
  const { data, error } = useLoad(async () => (await api.listConcerts()).concerts, [api]);
  const { concerts, link } = useLiveConcerts(data);

  return (
    <section aria-labelledby="concerts-heading">
      <div className="heading-row">
        <h1 id="concerts-heading">Concerts</h1>
        <LinkBadge state={link} />
      </div>
      <Notice kind="error">{error}</Notice>
      {!concerts && !error && <Loading what="concerts" />}
      {concerts?.length === 0 && <p>No concerts yet.</p>}
      <ul className="cards">
        {concerts?.map((concert) => (
          <ConcertCard key={concert.id} concert={concert} />
        ))}
      </ul>
    </section>
  );
}

function ConcertCard({ concert }: { concert: Concert }) {
  const soldOut = concert.availableTickets === 0;
  return (
    <li className="card" data-testid="concert-card" data-concert-id={concert.id}>
      <h2>
        <Link to={`/concerts/${concert.id}`}>{concert.title}</Link>
      </h2>
      <p className="muted">
        {concert.artist} · {concert.venue} · {formatDateTime(concert.startsAt)}
      </p>
      {concert.status !== 'on-sale' && (
        <p className="badge">{concert.status === 'paused' ? 'Sale paused' : 'Cancelled'}</p>
      )}
      {concert.waitingRoom?.enabled && (
        <p className="badge" data-testid="concert-waiting-room">
          Waiting room{concert.onSaleAt ? ` · sale opens ${formatDateTime(concert.onSaleAt)}` : ''}
        </p>
      )}
      <p className="availability" data-testid="concert-available">
        {soldOut ? (
          <strong className="sold-out">Sold out</strong>
        ) : (
          `${concert.availableTickets} tickets left`
        )}
      </p>
      <ul className="tier-summary">
        {concert.tiers.map((tier) => (
          <li key={tier.id}>
            {tier.name}: {formatMoney(tier.priceCents, tier.currency)} —{' '}
            {tier.available === 0 ? 'sold out' : `${tier.available} left`}
          </li>
        ))}
      </ul>
    </li>
  );
}

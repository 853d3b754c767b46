import type { Concert } from '../../api/contract';
import { Notice } from '../../components/status';
import { useLoad } from '../../components/use-load';
import { useSession } from '../../session/session';

/** The organiser's view of a concert's waiting lists: per tier, list length, offers made, claimed, expired. */
export function WaitlistStats({ concert }: { concert: Concert }) {
  const { api } = useSession();
  const { data, error, reload } = useLoad(
    async () => (await api.waitlistStats(concert.id)).tiers,
    [api, concert.id],
  );
  return (
    <section className="panel" aria-labelledby="waitlist-stats-heading" data-testid="waitlist-stats">
      <div className="heading-row">
        <h2 id="waitlist-stats-heading">Waiting lists</h2>
        <button type="button" className="secondary" onClick={reload}>
          Refresh
        </button>
      </div>
      <Notice kind="error">{error}</Notice>
      {data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Tier</th>
              <th scope="col">Waiting (tickets)</th>
              <th scope="col">Offers open</th>
              <th scope="col">Offers made</th>
              <th scope="col">Claimed</th>
              <th scope="col">Expired</th>
              <th scope="col">Left</th>
            </tr>
          </thead>
          <tbody>
            {data.map((row) => (
              <tr key={row.tierId} data-testid="waitlist-stats-row">
                <th scope="row">
                  {concert.tiers.find((tier) => tier.id === row.tierId)?.name ?? row.tierId}
                </th>
                <td>
                  {row.waiting} ({row.waitingTickets})
                </td>
                <td>{row.offered}</td>
                <td>{row.offersMade}</td>
                <td>{row.claimed}</td>
                <td>{row.expired}</td>
                <td>{row.left}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

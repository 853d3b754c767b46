import { useEffect } from 'react';
import { Link } from 'react-router';
import type { AdminEvent } from '../../api/contract';
import { formatDateTime } from '../../components/format';
import { LinkBadge, Loading, Notice } from '../../components/status';
import { useLoad } from '../../components/use-load';
import { useAdminFeed } from '../../realtime/use-admin-feed';
import { useConcertSales } from '../../realtime/use-concert-sales';
import { useLiveConcerts } from '../../realtime/use-live-concerts';
import { useSession } from '../../session/session';
import { AdminFeed } from './admin-feed';
import { AdminOnly } from './admin-only';
import { CheckInPanel, StaffAccountForm } from './check-in-panel';
import { ConcertForm } from './concert-form';
import { WaitingRooms } from './queue-panel';

/** The organiser's console: concerts, a form for a new one, and the live feed. */
export function AdminPage() {
  return (
    <AdminOnly>
      <AdminConsole />
    </AdminOnly>
  );
}

/** Notices after which the list itself (titles, new concerts, status) is read again. */
const LIST_CHANGES: ReadonlySet<AdminEvent> = new Set([
  'concert-created',
  'concert-updated',
  'concert-cancelled',
]);

function AdminConsole() {
  const { api, token } = useSession();
  const { data, error, reload } = useLoad(async () => (await api.listConcerts()).concerts, [api]);
  // Counts stay live over the socket, as on the fan pages; sold and held come from the admin-only read.
  const { concerts, link } = useLiveConcerts(data);
  const feed = useAdminFeed(token);
  const latest = feed.notices[0];
  useEffect(() => {
    if (latest && LIST_CHANGES.has(latest.event)) reload();
  }, [latest, reload]);
  const changed = `${concerts?.map((concert) => `${concert.id}:${concert.version}`).join(',') ?? ''}|${feed.notices.length}:${latest?.at ?? ''}:${latest?.event ?? ''}`;
  const sales = useConcertSales(api, changed);
  const titles = new Map(concerts?.map((concert) => [concert.id, concert.title]));
  return (
    <div className="admin">
      <h1>Organiser console</h1>
      <p>
        <Link to="/admin/reports">Daily sales report →</Link>
      </p>
      <div className="two-columns">
        <div>
          <section className="panel" aria-labelledby="admin-concerts-heading">
            <div className="heading-row">
              <h2 id="admin-concerts-heading">Concerts</h2>
              <LinkBadge state={link} />
            </div>
            <Notice kind="error">{error}</Notice>
            {!concerts && !error && <Loading what="concerts" />}
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Concert</th>
                  <th scope="col">Starts</th>
                  <th scope="col">
                    Sold <span className="muted">(confirmed)</span>
                  </th>
                  <th scope="col">
                    Held <span className="muted">(not yet confirmed)</span>
                  </th>
                  <th scope="col">Left</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {concerts?.map((concert) => (
                  <tr key={concert.id} data-testid="admin-concert-row">
                    <th scope="row">{concert.title}</th>
                    <td>{formatDateTime(concert.startsAt)}</td>
                    <td data-testid="admin-sold">{sales?.get(concert.id)?.sold ?? '…'}</td>
                    <td data-testid="admin-held">{sales?.get(concert.id)?.held ?? '…'}</td>
                    <td data-testid="admin-left">{concert.availableTickets}</td>
                    <td>
                      <Link to={`/admin/concerts/${concert.id}`} aria-label={`Edit ${concert.title}`}>
                        Edit
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <WaitingRooms concerts={concerts} />
          <section aria-labelledby="new-concert-heading">
            <h2 id="new-concert-heading">New concert</h2>
            <ConcertForm
              submitLabel="Create concert"
              onCreate={async (request) => {
                const { concert } = await api.createConcert(request);
                reload();
                return concert;
              }}
            />
          </section>
        </div>
        <div>
          <AdminFeed titles={titles} feed={feed} />
          <CheckInPanel concerts={concerts} feed={feed} />
          <StaffAccountForm />
        </div>
      </div>
    </div>
  );
}

import { Link } from 'react-router';
import { formatDateTime } from '../../components/format';
import { Loading, Notice } from '../../components/status';
import { useLoad } from '../../components/use-load';
import { useSession } from '../../session/session';
import { AdminFeed } from './admin-feed';
import { AdminOnly } from './admin-only';
import { ConcertForm } from './concert-form';

/** The organiser's console: concerts, a form for a new one, and the live feed. */
export function AdminPage() {
  return (
    <AdminOnly>
      <AdminConsole />
    </AdminOnly>
  );
}

function AdminConsole() {
  const { api } = useSession();
  const { data: concerts, error, reload } = useLoad(async () => (await api.listConcerts()).concerts, [api]);
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
            <h2 id="admin-concerts-heading">Concerts</h2>
            <Notice kind="error">{error}</Notice>
            {!concerts && !error && <Loading what="concerts" />}
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Concert</th>
                  <th scope="col">Starts</th>
                  <th scope="col">Sold</th>
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
                    <td>{concert.totalBooked}</td>
                    <td>{concert.availableTickets}</td>
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
        <AdminFeed titles={titles} />
      </div>
    </div>
  );
}

import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { Concert } from '../../api/contract';
import { Loading, Notice } from '../../components/status';
import { useLoad } from '../../components/use-load';
import { useSession } from '../../session/session';
import { AdminOnly } from './admin-only';
import { ConcertForm } from './concert-form';
import { WaitlistStats } from './waitlist-stats';

/** Edit one concert and its tiers. */
export function AdminEditPage() {
  return (
    <AdminOnly>
      <EditConcert />
    </AdminOnly>
  );
}

function EditConcert() {
  const { id = '' } = useParams();
  const { api } = useSession();
  const { data: loaded, error } = useLoad(async () => (await api.getConcert(id)).concert, [api, id]);
  // What the last save answered: the heading (and anything else read from the concert) shows the saved state.
  const [saved, setSaved] = useState<Concert | null>(null);
  const concert = saved?.id === loaded?.id ? (saved ?? loaded) : loaded;
  return (
    <section aria-labelledby="edit-heading">
      <p>
        <Link to="/admin">← Organiser console</Link>
      </p>
      <h1 id="edit-heading">Edit {concert?.title ?? 'concert'}</h1>
      <Notice kind="error">{error}</Notice>
      {!concert && !error && <Loading what="the concert" />}
      {concert && (
        <ConcertForm
          key={concert.id}
          concert={concert}
          submitLabel="Save changes"
          onUpdate={async (request) => {
            const { concert: updated } = await api.updateConcert(concert.id, request);
            setSaved(updated);
            return updated;
          }}
        />
      )}
      {concert && <WaitlistStats concert={concert} />}
    </section>
  );
}

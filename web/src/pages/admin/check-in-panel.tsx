import { type FormEvent, useEffect, useState } from 'react';
import type { CheckInsResponse, Concert } from '../../api/contract';
import { describeError } from '../../api/error-messages';
import { Notice } from '../../components/status';
import { useAction } from '../../components/use-action';
import type { AdminFeedState } from '../../realtime/use-admin-feed';
import { useSession } from '../../session/session';

/** How often the counts are read again while the console is open (ms), besides each `checked-in` notice. */
const POLL_MS = 5_000;

/**
 * Checked in vs sold per tier for one concert, live during the show: read again on every `checked-in` notice
 * of the admin feed for that concert, and every POLL_MS in case a notice was lost (a reconnect, Lambda).
 */
export function CheckInPanel({ concerts, feed }: { concerts: Concert[] | null; feed: AdminFeedState }) {
  const { api } = useSession();
  const [concertId, setConcertId] = useState<string>();
  const chosen = concertId ?? concerts?.[0]?.id;
  const concert = concerts?.find((candidate) => candidate.id === chosen);
  const [counts, setCounts] = useState<CheckInsResponse>();
  const [error, setError] = useState<string>();
  const latest = feed.notices.find((notice) => notice.event === 'checked-in' && notice.concertId === chosen);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `latest` changes with each new `checked-in` notice for this concert, a reason to read again
  useEffect(() => {
    if (!chosen) return;
    let current = true;
    const read = () =>
      api.checkIns(chosen).then(
        (next) => {
          if (!current) return;
          setCounts(next);
          setError(undefined);
        },
        (cause: unknown) => current && setError(describeError(cause)),
      );
    void read();
    const timer = setInterval(read, POLL_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [api, chosen, latest]);

  return (
    <section className="panel" aria-labelledby="check-ins-heading">
      <h2 id="check-ins-heading">Check-ins at the door</h2>
      {concerts && concerts.length > 0 && (
        <label>
          Concert at the door
          <select value={chosen ?? ''} onChange={(event) => setConcertId(event.target.value)}>
            {concerts.map((candidate) => (
              <option key={candidate.id} value={candidate.id}>
                {candidate.title}
              </option>
            ))}
          </select>
        </label>
      )}
      <Notice kind="error">{error}</Notice>
      {counts && concert && (
        <table className="table" data-testid="check-in-table">
          <thead>
            <tr>
              <th scope="col">Tier</th>
              <th scope="col">Checked in</th>
              <th scope="col">Sold</th>
            </tr>
          </thead>
          <tbody>
            {counts.byTier.map((tier) => (
              <tr key={tier.tierId} data-testid="check-in-row">
                <th scope="row">{concert.tiers.find((t) => t.id === tier.tierId)?.name ?? tier.tierId}</th>
                <td data-testid="check-in-count">{tier.checkedIn}</td>
                <td>{tier.sold}</td>
              </tr>
            ))}
            <tr>
              <th scope="row">All tiers</th>
              <td data-testid="check-in-total">{counts.checkedIn}</td>
              <td>{counts.sold}</td>
            </tr>
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A small form: an account for door staff (role `staff`), who can then sign in at /scan. */
export function StaffAccountForm() {
  const { api } = useSession();
  const { busy, error, run } = useAction();
  const [done, setDone] = useState<string>();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(undefined);
    const made = await run(() => api.createUser({ name, email, password, role: 'staff' }));
    if (!made) return;
    setDone(`Door staff account ${made.user.email} created: they sign in and open Scan.`);
    setName('');
    setEmail('');
    setPassword('');
  };
  return (
    <section className="panel" aria-labelledby="staff-heading">
      <h2 id="staff-heading">Door staff account</h2>
      <form onSubmit={submit}>
        <label htmlFor="staff-name">Name</label>
        <input id="staff-name" required value={name} onChange={(event) => setName(event.target.value)} />
        <label htmlFor="staff-email">E-mail</label>
        <input
          id="staff-email"
          type="email"
          autoComplete="off"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <label htmlFor="staff-password">Password (at least 8 characters)</label>
        <input
          id="staff-password"
          type="password"
          autoComplete="new-password"
          minLength={8}
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <button type="submit" disabled={busy}>
          Create staff account
        </button>
      </form>
      <Notice kind="error">{error}</Notice>
      <Notice kind="success">{done}</Notice>
    </section>
  );
}

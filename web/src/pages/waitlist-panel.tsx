import { type FormEvent, useEffect, useState } from 'react';
import type { Concert, PublicReservation, PublicWaitlistEntry } from '../api/contract';
import { quantityOf } from '../components/format';
import { Notice } from '../components/status';
import { useAction } from '../components/use-action';
import { useLoad } from '../components/use-load';
import { useSession } from '../session/session';
import { ReservationPanel } from './reservation-panel';

/** How often (ms) the page asks for news while the fan waits: the fallback when no live message comes. */
const WAITING_POLL_MS = 5_000;

interface Props {
  concert: Concert;
  /** Grows when the live channel says an offer was made to this fan: the list is read again at once. */
  offerSignal?: number;
  /** Told the reservation ids of the offers this panel shows, so the page does not show them twice. */
  onOffers?(reservationIds: ReadonlySet<string>): void;
}

/**
 * The waiting list of the concert's sold-out tiers, for a signed-in fan: join for a quantity, see the place,
 * leave; and, when tickets come back, the offer (a hold made for the fan) with its countdown and the usual
 * confirm or cancel.
 */
export function WaitlistPanel({ concert, offerSignal = 0, onOffers }: Props) {
  const { api, user } = useSession();
  const { data, error, reload } = useLoad(
    async () => (user ? (await api.myWaitlist()).entries.filter((e) => e.concertId === concert.id) : []),
    [api, user, concert.id],
  );
  const entries = data ?? [];
  // An offer shown on this page stays shown once settled (confirmed, cancelled, run out): the fan sees how.
  const [offersSeen, setOffersSeen] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    const offered = (data ?? []).filter((entry) => entry.status === 'offered').map((entry) => entry.id);
    if (offered.some((id) => !offersSeen.has(id))) setOffersSeen(new Set([...offersSeen, ...offered]));
  }, [data, offersSeen]);
  const live = entries.filter(
    (entry) => entry.status === 'waiting' || entry.status === 'offered' || offersSeen.has(entry.id),
  );
  const waiting = live.some((entry) => entry.status === 'waiting');
  const offerIds = entries.flatMap((entry) => (entry.reservation ? [entry.reservation.id] : [])).join(',');
  useEffect(() => {
    onOffers?.(new Set(offerIds ? offerIds.split(',') : []));
  }, [offerIds, onOffers]);

  useEffect(() => {
    if (offerSignal > 0) reload();
  }, [offerSignal, reload]);
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(reload, WAITING_POLL_MS);
    return () => clearInterval(timer);
  }, [waiting, reload]);

  const open = (tierId: string) =>
    live.some(
      (entry) => entry.tierId === tierId && (entry.status === 'waiting' || entry.status === 'offered'),
    );
  const joinable = concert.tiers.filter((tier) => tier.available === 0 && !open(tier.id));
  if (!user || (live.length === 0 && (joinable.length === 0 || concert.status !== 'on-sale'))) return null;

  return (
    <section className="panel waitlist" aria-labelledby="waitlist-heading" data-testid="waitlist">
      <h2 id="waitlist-heading">Waiting list</h2>
      <Notice kind="error">{error}</Notice>
      {live.map((entry) => (
        <WaitlistEntryView key={entry.id} entry={entry} concert={concert} onChange={reload} />
      ))}
      {concert.status === 'on-sale' && joinable.length > 0 && (
        <JoinForm concert={concert} tiers={joinable} onJoined={reload} />
      )}
    </section>
  );
}

function WaitlistEntryView({
  entry,
  concert,
  onChange,
}: {
  entry: PublicWaitlistEntry;
  concert: Concert;
  onChange(): void;
}) {
  const { api } = useSession();
  const { busy, error, run } = useAction();
  // What this page did with the offer (confirm, cancel) wins over an older read of the list.
  const [settled, setSettled] = useState<PublicReservation>();
  const tier = concert.tiers.find((candidate) => candidate.id === entry.tierId);
  const tickets = `${entry.quantity} ticket${entry.quantity === 1 ? '' : 's'}`;

  async function leave() {
    if (await run(() => api.leaveWaitlist(entry.concertId, entry.tierId))) onChange();
  }

  if (entry.reservation) {
    return (
      <div data-testid="waitlist-offer">
        <Notice kind="success">
          Tickets came back for you: {tickets} ({tier?.name ?? 'ticket'}) are held in your name.
        </Notice>
        <ReservationPanel
          reservation={settled ?? entry.reservation}
          concert={concert}
          onDone={(done) => {
            setSettled(done);
            onChange();
          }}
        />
      </div>
    );
  }
  return (
    <div className="waitlist-entry" data-testid="waitlist-entry" data-status={entry.status}>
      <p role="status">
        You are <strong data-testid="waitlist-position">number {entry.position}</strong> on the waiting list
        for {tier?.name ?? 'this tier'} ({tickets}). When tickets come back, they are held for you and you are
        told here and by e-mail.
      </p>
      <button type="button" className="secondary" onClick={leave} disabled={busy}>
        Leave the waiting list
      </button>
      <Notice kind="error">{error}</Notice>
    </div>
  );
}

function JoinForm({
  concert,
  tiers,
  onJoined,
}: {
  concert: Concert;
  tiers: Concert['tiers'];
  onJoined(): void;
}) {
  const { api } = useSession();
  const [tierId, setTierId] = useState(tiers[0]?.id ?? '');
  const [typed, setTyped] = useState('1');
  const [invalid, setInvalid] = useState<string>();
  const { busy, error, run } = useAction();
  const tier = tiers.find((candidate) => candidate.id === tierId) ?? tiers[0];
  const most = tier?.maxPerOrder ?? 1;

  async function join(event: FormEvent) {
    event.preventDefault();
    const quantity = quantityOf(typed, most);
    if (quantity === undefined || !tier) {
      setInvalid(`Enter how many tickets: 1 to ${most}.`);
      return;
    }
    setInvalid(undefined);
    // On a waiting-room concert the join needs the fan's admission: the queue's answer carries it.
    const joining = async () => {
      const admissionToken = concert.waitingRoom?.enabled
        ? await api
            .queue(concert.id)
            .then((answer) => answer.queue.admission?.token)
            .catch(() => undefined)
        : undefined;
      return api.joinWaitlist(concert.id, tier.id, quantity, admissionToken);
    };
    if (await run(joining)) onJoined();
  }

  return (
    <form onSubmit={join} aria-label="Join the waiting list" noValidate>
      <p className="muted">Sold out. Join the waiting list: tickets that come back are offered in order.</p>
      {tiers.length > 1 && (
        <>
          <label htmlFor="waitlist-tier">Tier</label>
          <select id="waitlist-tier" value={tier?.id} onChange={(event) => setTierId(event.target.value)}>
            {tiers.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name}
              </option>
            ))}
          </select>
        </>
      )}
      <label htmlFor="waitlist-quantity">
        Tickets wanted{tiers.length === 1 ? ` (${tier?.name})` : ''}, at most {most}
      </label>
      <input
        id="waitlist-quantity"
        type="number"
        inputMode="numeric"
        min={1}
        max={most}
        step={1}
        aria-invalid={invalid ? true : undefined}
        aria-describedby={invalid ? 'waitlist-problem' : undefined}
        value={typed}
        onChange={(event) => {
          setTyped(event.target.value);
          setInvalid(undefined);
        }}
      />
      <button type="submit" disabled={busy}>
        {busy ? 'Joining…' : 'Join the waiting list'}
      </button>
      <div id="waitlist-problem">
        <Notice kind="error">{invalid ?? error}</Notice>
      </div>
    </form>
  );
}

/** One line per entry for My tickets: concert, tier, quantity and where it stands. */
export function describeWaitlistEntry(entry: PublicWaitlistEntry): string {
  switch (entry.status) {
    case 'waiting':
      return `number ${entry.position} on the list`;
    case 'offered':
      return 'tickets held for you: confirm them on the concert page';
    case 'claimed':
      return 'claimed: the tickets are yours';
    case 'expired':
      return 'the offer ran out (or could no longer be made)';
    case 'left':
      return 'you left the list';
  }
}

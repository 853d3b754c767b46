import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import type { Concert, PublicReservation, WaitlistOfferMessage } from '../api/contract';
import { errorCodeOf } from '../api/error-messages';
import { formatDateTime, formatMoney, newRequestKey, quantityOf } from '../components/format';
import { LinkBadge, Loading, Notice } from '../components/status';
import { useAction } from '../components/use-action';
import { useLoad } from '../components/use-load';
import { useLiveConcerts } from '../realtime/use-live-concerts';
import { useSession } from '../session/session';
import { ReservationPanel } from './reservation-panel';
import { WaitingRoom } from './waiting-room';
import { WaitlistPanel } from './waitlist-panel';

/** One concert: live availability per tier, reserve, and the fan's holds with their countdown. */
export function ConcertPage() {
  const { id = '' } = useParams();
  const { api, user, token } = useSession();
  const { data, error } = useLoad(async () => [(await api.getConcert(id)).concert], [api, id]);
  // A waiting-list offer for this concert, told live: the waiting-list panel reads the list again at once.
  const [offerSignal, setOfferSignal] = useState(0);
  const onOffer = useCallback(
    (message: WaitlistOfferMessage) => {
      if (message.concertId === id) setOfferSignal((n) => n + 1);
    },
    [id],
  );
  // The socket carries the fan's token: waiting-list offers and, on a waiting-room concert, the place in line.
  const { concerts, link, live } = useLiveConcerts(data, { token, onOffer });
  const concert = concerts?.[0];
  const [holds, setHolds] = useState<PublicReservation[]>([]);
  // Waiting-list offers are holds too: the waiting-list panel shows them, with what they are.
  const [offers, setOffers] = useState<ReadonlySet<string>>(new Set());
  // Another fan signing in on this page sees only their own holds (the merge below keeps what is shown).
  const userId = user?.id;
  // biome-ignore lint/correctness/useExhaustiveDependencies: a change of user or concert clears the holds shown; neither is read.
  useEffect(() => {
    setHolds([]);
  }, [userId, id]);

  // A reload keeps the fan's current holds on screen.
  useEffect(() => {
    if (!user) return setHolds([]);
    let current = true;
    api.myReservations().then(
      ({ reservations }) => {
        if (!current) return;
        const now = Date.now();
        const open = reservations.filter(
          (hold) => hold.concertId === id && hold.status === 'held' && Date.parse(hold.expiresAt) > now,
        );
        // Merge, never replace: this answer may have been read before a hold made since (or before a
        // confirm or cancel on this page) and arrive after it; what the page already knows stays.
        setHolds((current) => mergeHolds(current, open));
      },
      () => {},
    );
    return () => {
      current = false;
    };
  }, [api, user, id]);

  if (error) return <Notice kind="error">{error}</Notice>;
  if (!concert) return <Loading what="the concert" />;
  return (
    <article aria-labelledby="concert-heading">
      <p>
        <Link to="/">← All concerts</Link>
      </p>
      <div className="heading-row">
        <h1 id="concert-heading">{concert.title}</h1>
        <LinkBadge state={link} />
      </div>
      <p className="muted">
        {concert.artist} · {concert.venue} · {formatDateTime(concert.startsAt)}
      </p>
      {/* The one live region for counts: polite, and only the total, so a busy sale does not flood it. */}
      <p className="availability" data-testid="concert-available" aria-live="polite">
        {concert.availableTickets === 0 ? (
          <strong className="sold-out">Sold out</strong>
        ) : (
          `${concert.availableTickets} tickets left`
        )}
      </p>
      {holds
        .filter((hold) => !offers.has(hold.id))
        .map((hold) => (
          <ReservationPanel
            key={hold.id}
            reservation={hold}
            concert={concert}
            onDone={(done) =>
              setHolds((current) => current.map((item) => (item.id === done.id ? done : item)))
            }
          />
        ))}
      {concert.waitingRoom?.enabled ? (
        <WaitingRoom
          concert={concert}
          live={live}
          link={link}
          reserveForm={(admissionToken) => (
            <ReserveForm
              concert={concert}
              admissionToken={admissionToken}
              onHeld={(hold) => setHolds((current) => [hold, ...current])}
            />
          )}
        />
      ) : (
        <ReserveForm concert={concert} onHeld={(hold) => setHolds((current) => [hold, ...current])} />
      )}
      <WaitlistPanel concert={concert} offerSignal={offerSignal} onOffers={setOffers} />
    </article>
  );
}

/**
 * The holds already on screen, plus those in `answer` not among them (newest first). A hold on screen keeps
 * its state: it changed on this page (a new hold, a confirm, a cancel) after the answer was read, or the
 * answer says the same.
 */
export function mergeHolds(current: PublicReservation[], answer: PublicReservation[]): PublicReservation[] {
  const known = new Set(current.map((hold) => hold.id));
  const added = answer.filter((hold) => !known.has(hold.id));
  return [...current, ...added].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/** Choose a tier and a quantity and hold them; on a waiting-room concert, with the fan's `admissionToken`. */
function ReserveForm({
  concert,
  admissionToken,
  onHeld,
}: {
  concert: Concert;
  admissionToken?: string;
  onHeld(hold: PublicReservation): void;
}) {
  const { api, user } = useSession();
  const location = useLocation();
  const firstOpen = concert.tiers.find((tier) => tier.available > 0);
  const [tierId, setTierId] = useState(firstOpen?.id ?? concert.tiers[0]?.id ?? '');
  // What the fan typed, as typed: a cleared field stays empty until they type again (never "1" put back).
  const [typed, setTyped] = useState('1');
  const [invalid, setInvalid] = useState<string>();
  const { busy, error, run } = useAction();
  const tier = concert.tiers.find((candidate) => candidate.id === tierId);
  const most = tier ? Math.max(1, Math.min(tier.maxPerOrder, tier.available)) : 1;
  const onSale = concert.status === 'on-sale';
  // A retry after a lost answer reuses the key, so it is the same hold; any answer starts a new one.
  const [requestKey, setRequestKey] = useState(newRequestKey);

  async function reserve(event: FormEvent) {
    event.preventDefault();
    const quantity = quantityOf(typed, most);
    if (quantity === undefined) {
      setInvalid(`Enter how many tickets: 1 to ${most}.`);
      return;
    }
    setInvalid(undefined);
    const held = await run(
      () => api.reserve({ concertId: concert.id, tierId, quantity, admissionToken }, requestKey),
      (cause) => {
        // A retry after a lost answer reuses the key (the same hold); any answer starts a new one.
        if (errorCodeOf(cause) !== 'NETWORK') setRequestKey(newRequestKey());
        return undefined;
      },
    );
    if (!held) return;
    setRequestKey(newRequestKey());
    onHeld(held.reservation);
  }

  return (
    // The page checks the quantity itself and says what is wrong in words (no browser bubble).
    <form className="panel" onSubmit={reserve} aria-labelledby="reserve-heading" noValidate>
      <h2 id="reserve-heading">Reserve tickets</h2>
      {!onSale && <Notice kind="info">This concert is not on sale right now.</Notice>}
      <fieldset>
        <legend>Tier</legend>
        {concert.tiers.map((option) => (
          <label key={option.id} className="tier-option" data-testid="tier-option" data-tier-id={option.id}>
            <input
              type="radio"
              name="tier"
              value={option.id}
              checked={tierId === option.id}
              onChange={() => setTierId(option.id)}
            />
            <span className="tier-name">{option.name}</span>
            <span>{formatMoney(option.priceCents, option.currency)}</span>
            <span className="tier-available" data-testid="tier-available">
              {option.available === 0 ? (
                <strong className="sold-out">Sold out</strong>
              ) : (
                `${option.available} left`
              )}
            </span>
          </label>
        ))}
      </fieldset>
      <label htmlFor="quantity">Quantity (at most {most})</label>
      <input
        id="quantity"
        type="number"
        inputMode="numeric"
        min={1}
        max={most}
        step={1}
        required
        aria-invalid={invalid ? true : undefined}
        aria-describedby={invalid ? 'quantity-problem' : undefined}
        value={typed}
        onChange={(event) => {
          setTyped(event.target.value);
          setInvalid(undefined);
        }}
      />
      {user ? (
        <button type="submit" disabled={busy || !onSale || !tier || tier.available === 0}>
          {tier?.available === 0 ? 'Sold out' : busy ? 'Reserving…' : 'Reserve'}
        </button>
      ) : (
        <p>
          <Link to={`/login?next=${encodeURIComponent(location.pathname)}`}>Log in</Link> or{' '}
          <Link to={`/signup?next=${encodeURIComponent(location.pathname)}`}>sign up</Link> to reserve.
        </p>
      )}
      <div id="quantity-problem">
        <Notice kind="error">{invalid ?? error}</Notice>
      </div>
    </form>
  );
}

import { useState } from 'react';
import { Link } from 'react-router';
import type { Concert, IssuedTicket, PublicReservation } from '../api/contract';
import { describeError } from '../api/error-messages';
import { formatClock, formatMoney } from '../components/format';
import { Notice } from '../components/status';
import { useCountdown } from '../components/use-countdown';
import { useSession } from '../session/session';

interface Props {
  reservation: PublicReservation;
  concert: Concert;
  onDone(reservation: PublicReservation): void;
}

/** A hold with its countdown to `expiresAt`, and the fan's two ways out: confirm or cancel. */
export function ReservationPanel({ reservation, concert, onDone }: Props) {
  const { api } = useSession();
  const seconds = useCountdown(reservation.expiresAt);
  const [tickets, setTickets] = useState<IssuedTicket[]>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const tier = concert.tiers.find((candidate) => candidate.id === reservation.tierId);
  const held = reservation.status === 'held';
  const expired = reservation.status === 'expired' || (held && seconds === 0);

  async function act(action: 'confirm' | 'cancel') {
    setBusy(true);
    setError(undefined);
    try {
      if (action === 'confirm') {
        const confirmed = await api.confirm(reservation.id);
        setTickets(confirmed.tickets);
        onDone(confirmed.reservation);
      } else {
        onDone((await api.cancel(reservation.id)).reservation);
      }
    } catch (cause) {
      setError(describeError(cause));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section
      className="panel hold"
      aria-label="Your reservation"
      data-testid="reservation"
      data-status={reservation.status}
    >
      <h2>Your reservation</h2>
      <p>
        {reservation.quantity} × {tier?.name ?? 'ticket'} —{' '}
        {formatMoney(reservation.totalCents, reservation.currency)}
      </p>
      {held && !expired && (
        <>
          <p className="countdown">
            Held for you for{' '}
            <span role="timer" aria-live="off" data-testid="countdown">
              {formatClock(seconds)}
            </span>
            . Confirm before the time runs out.
          </p>
          <div className="actions">
            <button type="button" onClick={() => act('confirm')} disabled={busy}>
              Confirm
            </button>
            <button type="button" className="secondary" onClick={() => act('cancel')} disabled={busy}>
              Cancel
            </button>
          </div>
        </>
      )}
      {expired && (
        <Notice kind="error">
          Your hold expired and the tickets went back on sale. Reserve again to try.
        </Notice>
      )}
      {reservation.status === 'cancelled' && (
        <Notice kind="info">Reservation cancelled: the tickets went back on sale.</Notice>
      )}
      {reservation.status === 'confirmed' && (
        <Notice kind="success">
          Confirmed! {tickets ? `${tickets.length} ticket${tickets.length === 1 ? '' : 's'}` : 'Your tickets'}{' '}
          are in <Link to="/tickets">My tickets</Link>.
        </Notice>
      )}
      <Notice kind="error">{error}</Notice>
    </section>
  );
}

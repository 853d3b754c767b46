import { useState } from 'react';
import { Link } from 'react-router';
import type { Concert, IssuedTicket, PublicReservation } from '../api/contract';
import { formatClock, formatMoney } from '../components/format';
import { Notice } from '../components/status';
import { useAction } from '../components/use-action';
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
  const { busy, error, run } = useAction();
  const tier = concert.tiers.find((candidate) => candidate.id === reservation.tierId);
  const held = reservation.status === 'held';
  const expired = reservation.status === 'expired' || (held && seconds === 0);

  async function act(action: 'confirm' | 'cancel') {
    if (action === 'cancel') {
      const cancelled = await run(() => api.cancel(reservation.id));
      if (cancelled) onDone(cancelled.reservation);
      return;
    }
    const confirmed = await run(() => api.confirm(reservation.id));
    if (!confirmed) return;
    setTickets(confirmed.tickets);
    onDone(confirmed.reservation);
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

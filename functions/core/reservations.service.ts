import type { RealtimeEvents } from '../ports/realtime-events.port';
import type { ReservationRepository } from '../ports/reservation.repository.port';
import { notFound, TicketingError } from './errors';
import type { Principal, Reservation, Ticket } from './model';
import { newTicketCode } from './ticket-codes';

export interface ReservationSettings {
  holdSeconds: number;
  perUserLimit: number;
  activeHoldLimit: number;
}

export interface ReservationDeps {
  reservations: ReservationRepository;
  settings: ReservationSettings;
  events: RealtimeEvents;
  /**
   * The waiting room's gate (waiting-room.service.ts `requireAdmission`): throws ADMISSION_REQUIRED unless
   * the fan may reserve for the concert with this token. Absent: no concert needs an admission.
   */
  admission?: (principal: Principal, concertId: string, admissionToken: string | undefined) => Promise<void>;
}

export interface HoldResult {
  reservation: Reservation;
  /** False when an earlier request with the same Idempotency-Key made it. */
  created: boolean;
}

/**
 * Holds `quantity` tickets of a tier for `holdSeconds` (one atomic statement; refusals write nothing).
 * With an Idempotency-Key, the same request again (same concert, tier and quantity; an admission token
 * or any other credential does not count) answers the first reservation with `created: false`.
 * On a waiting-room concert the fan's admission is checked first (nothing is written without it).
 * Errors: ADMISSION_REQUIRED (403); NOT_FOUND, CONCERT_NOT_ON_SALE, LIMIT_EXCEEDED, SOLD_OUT,
 * INSUFFICIENT_AVAILABILITY (409);
 * IDEMPOTENCY_KEY_REUSED (422) for the key with another request; UNAUTHORIZED (401) when the token's
 * user no longer exists; VALIDATION_FAILED for a quantity that is not a positive integer.
 */
export async function reserveTickets(
  deps: ReservationDeps,
  principal: Principal,
  input: { concertId: string; tierId: string; quantity: number; admissionToken?: string | undefined },
  idempotencyKey: string | null,
): Promise<HoldResult> {
  if (!Number.isSafeInteger(input.quantity) || input.quantity < 1) {
    throw new TicketingError('VALIDATION_FAILED', 'The quantity must be a positive integer');
  }
  await deps.admission?.(principal, input.concertId, input.admissionToken);
  const outcome = await deps.reservations.hold({
    userId: principal.userId,
    concertId: input.concertId,
    tierId: input.tierId,
    quantity: input.quantity,
    idempotencyKey,
    holdSeconds: deps.settings.holdSeconds,
    perUserLimit: deps.settings.perUserLimit,
    activeHoldLimit: deps.settings.activeHoldLimit,
  });
  switch (outcome.kind) {
    case 'created': {
      const { reservation } = outcome;
      const notice = {
        concertId: reservation.concertId,
        tierId: reservation.tierId,
        reservationId: reservation.id,
      };
      deps.events.concertChanged(
        reservation.concertId,
        outcome.tierVersionAfter === undefined
          ? undefined
          : [
              {
                tierId: reservation.tierId,
                quantity: reservation.quantity,
                availableAfter: outcome.tierAvailableAfter,
                versionAfter: outcome.tierVersionAfter,
                expiresAt: reservation.expiresAt,
              },
            ],
      );
      deps.events.notifyAdmins({ event: 'new-reservation', ...notice });
      if (outcome.tierAvailableAfter === 0) deps.events.notifyAdmins({ event: 'sold-out', ...notice });
      return { reservation, created: true };
    }
    case 'existing':
      return { reservation: outcome.reservation, created: false };
    case 'key-reused':
      throw new TicketingError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was used for another request: send a new key for a new request',
      );
    case 'user-gone':
      throw new TicketingError('UNAUTHORIZED', 'The account of this token no longer exists: sign in again');
    case 'not-found':
      throw notFound('Concert or tier');
    case 'not-on-sale':
      throw new TicketingError('CONCERT_NOT_ON_SALE', 'This concert is not on sale');
    case 'order-limit':
      throw new TicketingError('LIMIT_EXCEEDED', `At most ${outcome.maxPerOrder} tickets per order`, {
        scope: 'order',
        max: outcome.maxPerOrder,
      });
    case 'user-limit':
      throw new TicketingError(
        'LIMIT_EXCEEDED',
        `At most ${outcome.limit} tickets per person for this concert`,
        {
          scope: 'user',
          max: outcome.limit,
          current: outcome.current,
        },
      );
    case 'hold-limit':
      throw new TicketingError(
        'LIMIT_EXCEEDED',
        `At most ${outcome.limit} open holds per person: confirm or cancel one first`,
        {
          scope: 'holds',
          max: outcome.limit,
          current: outcome.current,
        },
      );
    case 'sold-out':
      throw new TicketingError('SOLD_OUT', 'This tier is sold out');
    case 'insufficient':
      throw new TicketingError('INSUFFICIENT_AVAILABILITY', `Only ${outcome.available} tickets left`, {
        available: outcome.available,
      });
  }
}

/**
 * Turns the owner's live hold into tickets, atomically with the check that its concert is still on sale.
 * A repeat answers the same tickets and notifies nobody again.
 * Errors: NOT_FOUND (not the caller's), CONCERT_NOT_ON_SALE (paused, cancelled or started; the hold
 * stays as it was), RESERVATION_EXPIRED, RESERVATION_CANCELLED (409).
 */
export async function confirmReservation(
  deps: ReservationDeps,
  principal: Principal,
  reservationId: string,
): Promise<{ reservation: Reservation; tickets: Ticket[] }> {
  const existing = await deps.reservations.find(reservationId, principal.userId);
  if (!existing) throw notFound('Reservation');
  const codes = Array.from({ length: existing.quantity }, newTicketCode);
  const outcome = await deps.reservations.confirm(reservationId, principal.userId, codes);
  if (outcome.kind === 'not-found') throw notFound('Reservation');
  if (outcome.kind === 'not-on-sale') {
    throw new TicketingError(
      'CONCERT_NOT_ON_SALE',
      'This concert is not on sale: the hold cannot be confirmed',
      {
        reservationId,
      },
    );
  }
  if (outcome.kind === 'refused') throw refusal(outcome.reservation, 'confirm');
  if (outcome.changed) {
    const { concertId, tierId, id } = outcome.reservation;
    deps.events.notifyAdmins({ event: 'reservation-confirmed', concertId, tierId, reservationId: id });
  }
  return { reservation: outcome.reservation, tickets: outcome.tickets };
}

export async function cancelReservation(
  deps: ReservationDeps,
  principal: Principal,
  reservationId: string,
): Promise<Reservation> {
  const outcome = await deps.reservations.cancel(reservationId, ownerScope(principal));
  if (outcome.kind === 'not-found') throw notFound('Reservation');
  if (outcome.kind === 'refused') throw refusal(outcome.reservation, 'cancel');
  if (outcome.changed) {
    const { concertId, tierId, id } = outcome.reservation;
    deps.events.concertChanged(concertId);
    deps.events.notifyAdmins({ event: 'reservation-cancelled', concertId, tierId, reservationId: id });
  }
  return outcome.reservation;
}

export async function getReservation(
  deps: ReservationDeps,
  principal: Principal,
  reservationId: string,
): Promise<Reservation> {
  const reservation = await deps.reservations.find(reservationId, ownerScope(principal));
  if (!reservation) throw notFound('Reservation');
  return reservation;
}

export const listMyReservations = (deps: ReservationDeps, principal: Principal): Promise<Reservation[]> =>
  deps.reservations.listByUser(principal.userId);

export const listMyTickets = (deps: ReservationDeps, principal: Principal): Promise<Ticket[]> =>
  deps.reservations.listTicketsByUser(principal.userId);

/** Admins see every reservation; anyone else only their own (others' are "not found", never "forbidden"). */
function ownerScope(principal: Principal): string | null {
  return principal.role === 'admin' ? null : principal.userId;
}

function refusal(reservation: Reservation, action: 'confirm' | 'cancel'): TicketingError {
  const details = { reservationId: reservation.id, status: reservation.status };
  switch (reservation.status) {
    case 'expired':
      return new TicketingError(
        'RESERVATION_EXPIRED',
        `The hold expired at ${reservation.expiresAt}`,
        details,
      );
    case 'cancelled':
      return new TicketingError('RESERVATION_CANCELLED', 'This reservation was cancelled', details);
    case 'confirmed':
      return new TicketingError(
        'RESERVATION_CONFIRMED',
        'A confirmed reservation cannot be cancelled',
        details,
      );
    case 'held':
      return new TicketingError('INTERNAL', `Could not ${action} the reservation`, details);
  }
}

import { describe, expect, it } from 'vitest';
import { TicketingError } from '../../functions/core/errors';
import type { Principal, Reservation } from '../../functions/core/model';
import {
  cancelReservation,
  confirmReservation,
  reserveTickets,
} from '../../functions/core/reservations.service';
import type { RealtimeEvents } from '../../functions/ports/realtime-events.port';
import type { HoldOutcome, ReservationRepository } from '../../functions/ports/reservation.repository.port';

const fan: Principal = { userId: 'u1', role: 'customer' };
const admin: Principal = { userId: 'a1', role: 'admin' };
const reservation = (status: Reservation['status']): Reservation => ({
  id: 'r1',
  userId: 'u1',
  status,
  concertId: 'c1',
  tierId: 't1',
  quantity: 2,
  totalCents: 200,
  currency: 'USD',
  expiresAt: '2030-01-01T00:00:00.000Z',
  createdAt: '2029-12-31T23:50:00.000Z',
});

function repository(overrides: Partial<ReservationRepository>): ReservationRepository {
  const unexpected = () => {
    throw new Error('not expected in this test');
  };
  return {
    hold: unexpected,
    confirm: unexpected,
    cancel: unexpected,
    find: unexpected,
    listByUser: unexpected,
    listTicketsByUser: unexpected,
    ...overrides,
  };
}

const settings = { holdSeconds: 600, perUserLimit: 10, activeHoldLimit: 5 };
const told: string[] = [];
const events: RealtimeEvents = {
  concertChanged: (concertId) => told.push(`changed ${concertId}`),
  notifyAdmins: (notice) => told.push(`${notice.event} ${notice.reservationId ?? ''}`.trim()),
};
const input = { concertId: 'c1', tierId: 't1', quantity: 2 };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TicketingError);
  return (error as TicketingError).code;
}

describe('reserveTickets', () => {
  it('passes the configured hold time and per-user limit to the repository', async () => {
    let seen: unknown;
    const reservations = repository({
      hold: async (request) => {
        seen = request;
        return { kind: 'created', reservation: reservation('held'), tierAvailableAfter: 3 };
      },
    });
    told.length = 0;
    const result = await reserveTickets({ reservations, settings, events }, fan, input, 'k1');
    expect(result.created).toBe(true);
    expect(told).toEqual(['changed c1', 'new-reservation r1']);
    expect(seen).toEqual({
      userId: 'u1',
      ...input,
      idempotencyKey: 'k1',
      holdSeconds: 600,
      perUserLimit: 10,
      activeHoldLimit: 5,
    });
  });

  it.each<[HoldOutcome, string]>([
    [{ kind: 'not-found' }, 'NOT_FOUND'],
    [{ kind: 'not-on-sale' }, 'CONCERT_NOT_ON_SALE'],
    [{ kind: 'order-limit', maxPerOrder: 4 }, 'LIMIT_EXCEEDED'],
    [{ kind: 'user-limit', limit: 10, current: 9 }, 'LIMIT_EXCEEDED'],
    [{ kind: 'hold-limit', limit: 5, current: 5 }, 'LIMIT_EXCEEDED'],
    [{ kind: 'sold-out' }, 'SOLD_OUT'],
    [{ kind: 'insufficient', available: 1 }, 'INSUFFICIENT_AVAILABILITY'],
    [{ kind: 'key-reused' }, 'IDEMPOTENCY_KEY_REUSED'],
    [{ kind: 'user-gone' }, 'UNAUTHORIZED'],
  ])('turns %o into %s', async (outcome, code) => {
    const reservations = repository({ hold: async () => outcome });
    expect(await codeOf(reserveTickets({ reservations, settings, events }, fan, input, null))).toBe(code);
  });

  it('tells admins when the hold took the last ticket of a tier', async () => {
    const reservations = repository({
      hold: async () => ({ kind: 'created', reservation: reservation('held'), tierAvailableAfter: 0 }),
    });
    told.length = 0;
    await reserveTickets({ reservations, settings, events }, fan, input, null);
    expect(told).toEqual(['changed c1', 'new-reservation r1', 'sold-out r1']);
  });

  it('reports a replayed key as not created, and announces nothing', async () => {
    told.length = 0;
    const reservations = repository({
      hold: async () => ({ kind: 'existing', reservation: reservation('confirmed') }),
    });
    expect(await reserveTickets({ reservations, settings, events }, fan, input, 'k1')).toEqual({
      reservation: reservation('confirmed'),
      created: false,
    });
    expect(told).toEqual([]);
  });
});

describe('confirm and cancel', () => {
  it('makes one fresh ticket code per ticket', async () => {
    let codes: string[] = [];
    const reservations = repository({
      find: async () => reservation('held'),
      confirm: async (_id, _owner, fresh) => {
        codes = fresh;
        return { kind: 'confirmed', reservation: reservation('confirmed'), tickets: [], changed: true };
      },
    });
    await confirmReservation({ reservations, settings, events }, fan, 'r1');
    expect(codes).toHaveLength(2);
    expect(new Set(codes).size).toBe(2);
  });

  it('tells admins of a confirmation once, however often (and however concurrently) it is repeated', async () => {
    let calls = 0;
    const reservations = repository({
      find: async () => reservation('held'),
      confirm: async () => ({
        kind: 'confirmed',
        reservation: reservation('confirmed'),
        tickets: [],
        changed: ++calls === 1,
      }),
    });
    told.length = 0;
    await Promise.all([1, 2, 3].map(() => confirmReservation({ reservations, settings, events }, fan, 'r1')));
    expect(told).toEqual(['reservation-confirmed r1']);
  });

  it('refuses to confirm when the concert is not on sale', async () => {
    const reservations = repository({
      find: async () => reservation('held'),
      confirm: async () => ({ kind: 'not-on-sale' }),
    });
    expect(await codeOf(confirmReservation({ reservations, settings, events }, fan, 'r1'))).toBe(
      'CONCERT_NOT_ON_SALE',
    );
  });

  it.each([
    ['expired', 'RESERVATION_EXPIRED'],
    ['cancelled', 'RESERVATION_CANCELLED'],
    ['confirmed', 'RESERVATION_CONFIRMED'],
  ] as const)('refuses to cancel a reservation that is %s', async (status, code) => {
    const reservations = repository({
      cancel: async () => ({ kind: 'refused', reservation: reservation(status) }),
    });
    expect(await codeOf(cancelReservation({ reservations, settings, events }, fan, 'r1'))).toBe(code);
  });

  it('lets an admin act on any owner, a customer only on their own', async () => {
    const owners: Array<string | null> = [];
    const reservations = repository({
      cancel: async (_id, owner) => {
        owners.push(owner);
        return { kind: 'cancelled', reservation: reservation('cancelled'), changed: owners.length === 1 };
      },
    });
    told.length = 0;
    await cancelReservation({ reservations, settings, events }, fan, 'r1');
    await cancelReservation({ reservations, settings, events }, admin, 'r1');
    expect(owners).toEqual(['u1', null]);
    expect(told).toEqual(['changed c1', 'reservation-cancelled r1']);
  });
});

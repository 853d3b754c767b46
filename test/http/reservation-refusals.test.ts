import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlExecutor } from '../../functions/ports/sql-database.port';
import { expectNoOversell } from '../support/invariants';
import { createCustomers, startTestService, type TestService } from '../support/test-service';

/** Every row a reservation request may touch, compared before and after a refusal. */
async function rows(db: SqlExecutor) {
  return {
    concerts: await db.query('SELECT * FROM concerts ORDER BY id'),
    tiers: await db.query('SELECT * FROM ticket_tiers ORDER BY id'),
    reservations: await db.query('SELECT * FROM reservations ORDER BY id'),
    tickets: await db.query('SELECT * FROM tickets ORDER BY id'),
  };
}

describe('reservation refusals through the HTTP API', () => {
  let t: TestService;
  let admin: string;

  beforeAll(async () => {
    t = await startTestService({ TICKETS_PER_USER_LIMIT: '0', HOLDS_PER_USER_LIMIT: '0' });
    admin = await t.api.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  // Issue 15 item 2: a token whose user row is gone among 20 real buyers.
  it('answers a token whose user is gone 401, and every real buyer beside it 201', async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 100 }]);
    const body = { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 };
    const buyers = await createCustomers(t.service, 20);
    const registered = await t.api.request('POST', '/api/auth/register', {
      body: { email: 'soon-gone@example.test', password: 'password-123', name: 'Gone' },
    });
    await t.service.services.db.query('DELETE FROM users WHERE id = $1', [registered.body.user.id]);
    const tokens = [...buyers.slice(0, 10), registered.body.token as string, ...buyers.slice(10)];

    const responses = await Promise.all(
      [1, 2, 3].flatMap(() =>
        tokens.map((token) => t.api.request('POST', '/api/reservations', { token, body })),
      ),
    );

    const gone = responses.filter((_, i) => i % tokens.length === 10);
    expect(gone.map((r) => [r.status, r.body.error?.code])).toEqual(Array(3).fill([401, 'UNAUTHORIZED']));
    const real = responses.filter((_, i) => i % tokens.length !== 10);
    expect(real.map((r) => r.status)).toEqual(Array(60).fill(201));
    const after = await t.api.request('GET', `/api/concerts/${concert.id}`);
    expect(after.body.concert.availableTickets).toBe(40);
    await expectNoOversell(t.service.services.db);
  });

  // Issue 14 item 6: confirming, like reserving, needs the concert on sale.
  it.each(['paused', 'cancelled'])(
    'refuses to confirm a hold once the concert is %s (409 CONCERT_NOT_ON_SALE), changing nothing',
    async (status) => {
      const fan = await t.api.register(`confirm-${status}@example.test`);
      const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 10 }]);
      const held = await t.api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 2 },
      });
      expect(held.status).toBe(201);
      // The concert changes directly in the database: whatever a PATCH does to holds, the check holds
      // even for a hold still marked 'held'.
      await t.service.services.db.query('UPDATE concerts SET status = $2 WHERE id = $1', [
        concert.id,
        status,
      ]);
      const before = await rows(t.service.services.db);

      const confirmed = await t.api.request('POST', `/api/reservations/${held.body.reservation.id}/confirm`, {
        token: fan,
      });

      expect(confirmed.status).toBe(409);
      expect(confirmed.body.error.code).toBe('CONCERT_NOT_ON_SALE');
      expect(await rows(t.service.services.db)).toEqual(before);
      const tickets = await t.api.request('GET', '/api/me/tickets', { token: fan });
      expect(tickets.body.tickets).toEqual([]);
    },
  );

  it('refuses to confirm a hold after the concert is cancelled through the API', async () => {
    const fan = await t.api.register('confirm-patch@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 10 }]);
    const held = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
    });
    const patched = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { status: 'cancelled' },
    });
    expect(patched.status).toBe(200);

    const confirmed = await t.api.request('POST', `/api/reservations/${held.body.reservation.id}/confirm`, {
      token: fan,
    });

    expect(confirmed.status).toBe(409);
    expect(['CONCERT_NOT_ON_SALE', 'RESERVATION_CANCELLED']).toContain(confirmed.body.error.code);
    expect((await t.api.request('GET', '/api/me/tickets', { token: fan })).body.tickets).toEqual([]);
  });

  // Issue 14 item 1, kind: a refused reservation leaves every row as it was.
  it('leaves every row as it was after a sold-out refusal that first tried the overdue holds', async () => {
    const [alice, bob] = await createCustomers(t.service, 2);
    const concert = await t.api.createConcert(admin, [
      { name: 'GA', priceCents: 1000, capacity: 4, maxPerOrder: 4 },
    ]);
    const tierId = concert.tiers[0]?.id;
    const small = await t.api.request('POST', '/api/reservations', {
      token: alice,
      body: { concertId: concert.id, tierId, quantity: 1 },
    });
    await t.api.request('POST', '/api/reservations', {
      token: alice,
      body: { concertId: concert.id, tierId, quantity: 3 },
    });
    await t.service.services.db.query(
      `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [small.body.reservation.id],
    );
    const before = await rows(t.service.services.db);

    const refused = await t.api.request('POST', '/api/reservations', {
      token: bob,
      body: { concertId: concert.id, tierId, quantity: 2 },
    });

    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'INSUFFICIENT_AVAILABILITY',
      details: { available: 1 },
    });
    expect(await rows(t.service.services.db)).toEqual(before);
  });
});

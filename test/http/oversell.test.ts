import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoOversell } from '../support/invariants';
import { createCustomers, startTestService, type TestService } from '../support/test-service';

describe('a flash sale through the HTTP shim on PostgreSQL', () => {
  let t: TestService;
  let admin: string;
  let fans: string[];

  beforeAll(async () => {
    t = await startTestService({ TICKETS_PER_USER_LIMIT: '0' });
    admin = await t.api.adminToken();
    fans = await createCustomers(t.service, 100);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sells exactly 100 of 100 tickets to 500 concurrent requests', async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'Floor', priceCents: 5000, capacity: 100 }]);
    const tierId = concert.tiers[0]?.id;

    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        t.api.request('POST', '/api/reservations', {
          token: fans[i % fans.length],
          body: { concertId: concert.id, tierId, quantity: 1 },
        }),
      ),
    );

    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 409);
    expect(created).toHaveLength(100);
    expect(refused).toHaveLength(400);
    expect(new Set(refused.map((r) => r.body.error.code))).toEqual(new Set(['SOLD_OUT']));
    expect(new Set(created.map((r) => r.body.reservation.id)).size).toBe(100);
    const after = await t.api.request('GET', `/api/concerts/${concert.id}`);
    expect(after.body.concert).toMatchObject({ availableTickets: 0, totalBooked: 100 });
    await expectNoOversell(t.service.services.db);
  });

  it('never oversells with quantities above one, and confirmed tickets stay counted', async () => {
    const concert = await t.api.createConcert(admin, [
      { name: 'Balcony', priceCents: 3000, capacity: 100, maxPerOrder: 4 },
    ]);
    const tierId = concert.tiers[0]?.id;

    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        t.api.request('POST', '/api/reservations', {
          token: fans[i % fans.length],
          body: { concertId: concert.id, tierId, quantity: (i % 4) + 1 },
        }),
      ),
    );
    const created = responses.filter((r) => r.status === 201);
    const held = created.reduce((sum, r) => sum + r.body.reservation.quantity, 0);
    expect(held).toBeLessThanOrEqual(100);
    expect(held).toBeGreaterThanOrEqual(97); // only a remainder smaller than every later order may stay
    for (const r of responses.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(409);
      expect(['SOLD_OUT', 'INSUFFICIENT_AVAILABILITY']).toContain(r.body.error.code);
    }
    const toConfirm = created.slice(0, 10);
    for (const r of toConfirm) {
      const owner = fans[responses.indexOf(r) % fans.length];
      const confirmed = await t.api.request('POST', `/api/reservations/${r.body.reservation.id}/confirm`, {
        token: owner,
      });
      expect(confirmed.status).toBe(200);
    }
    const [ledger] = (await expectNoOversell(t.service.services.db)).filter((l) => l.tierId === tierId);
    expect(ledger?.confirmed).toBe(toConfirm.reduce((sum, r) => sum + r.body.reservation.quantity, 0));
    expect(ledger && ledger.liveHeld + ledger.confirmed).toBe(held);
  });
});

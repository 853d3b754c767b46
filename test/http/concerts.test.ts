import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONCERT_LIMITS } from '../../functions/core/concert-limits';
import { rawClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

describe('concerts: admin create and update, public reads', () => {
  let t: TestService;
  let admin: string;

  beforeAll(async () => {
    t = await startTestService({ TICKETS_PER_USER_LIMIT: '3' });
    admin = await t.api.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates a concert in the contract shape and lists it', async () => {
    const startsAt = '2031-06-01T19:30:00.000Z';
    const response = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'Summer Night',
        artist: 'Orchestra',
        venue: 'Park',
        startsAt,
        tiers: [
          { name: 'Lawn', priceCents: 2000, capacity: 300 },
          { name: 'Box', priceCents: 15000, currency: 'EUR', capacity: 8, maxPerOrder: 2 },
        ],
      },
    });
    expect(response.status).toBe(201);
    const concert = response.body.concert;
    expect(concert).toEqual({
      id: expect.any(String),
      title: 'Summer Night',
      artist: 'Orchestra',
      venue: 'Park',
      startsAt,
      status: 'on-sale',
      availableTickets: 308,
      totalBooked: 0,
      version: expect.any(Number),
      tiers: [
        {
          id: expect.any(String),
          name: 'Lawn',
          priceCents: 2000,
          currency: 'USD',
          capacity: 300,
          available: 300,
          maxPerOrder: 10,
          version: expect.any(Number),
        },
        {
          id: expect.any(String),
          name: 'Box',
          priceCents: 15000,
          currency: 'EUR',
          capacity: 8,
          available: 8,
          maxPerOrder: 2,
          version: expect.any(Number),
        },
      ],
    });
    const list = await t.api.request('GET', '/api/concerts');
    expect(list.status).toBe(200);
    expect(list.body.concerts.map((c: { id: string }) => c.id)).toContain(concert.id);
    expect((await t.api.request('GET', `/api/concerts/${concert.id}`)).body.concert).toEqual(concert);
  });

  it('updates fields and tiers, refuses to cut capacity below what is booked, and pauses sales', async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 10 }]);
    const tierId = concert.tiers[0]?.id;
    const fan = await t.api.register('patch-fan@example.test');
    await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId, quantity: 3 },
    });

    const cut = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { tiers: [{ id: tierId, capacity: 2 }] },
    });
    expect(cut.status).toBe(409);
    expect(cut.body.error).toMatchObject({ code: 'CAPACITY_BELOW_BOOKED', details: { booked: 3 } });

    const patched = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: {
        venue: 'Bigger Hall',
        tiers: [
          { id: tierId, capacity: 20 },
          { name: 'VIP', priceCents: 5000, capacity: 5 },
        ],
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.concert.venue).toBe('Bigger Hall');
    expect(
      patched.body.concert.tiers.map((tier: { name: string; available: number }) => [
        tier.name,
        tier.available,
      ]),
    ).toEqual([
      ['GA', 17],
      ['VIP', 5],
    ]);
    expect(patched.body.concert.version).toBeGreaterThan(concert.version);

    await t.api.request('PATCH', `/api/concerts/${concert.id}`, { token: admin, body: { status: 'paused' } });
    const paused = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId, quantity: 1 },
    });
    expect(paused.status).toBe(409);
    expect(paused.body.error.code).toBe('CONCERT_NOT_ON_SALE');
    const missing = await t.api.request('PATCH', '/api/concerts/00000000-0000-4000-8000-000000000000', {
      token: admin,
      body: { title: 'x' },
    });
    expect(missing.status).toBe(404);
  });

  it('enforces TICKETS_PER_USER_LIMIT across orders, even when they race', async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 100 }]);
    const fan = await t.api.register('limit-fan@example.test');
    const body = { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => t.api.request('POST', '/api/reservations', { token: fan, body })),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = responses.filter((r) => r.status === 409);
    expect(refused).toHaveLength(7);
    expect(refused[0]?.body.error).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      details: { scope: 'user', max: 3 },
    });
  });

  it('confirms into tickets, lists them, cancels holds and returns their seats', async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1250, capacity: 10 }]);
    const fan = await t.api.register('flow-fan@example.test');
    const body = { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 2 };
    const hold = await t.api.request('POST', '/api/reservations', { token: fan, body });
    expect(hold.body.reservation).toMatchObject({
      status: 'held',
      quantity: 2,
      totalCents: 2500,
      currency: 'USD',
    });
    expect(hold.body.reservation).not.toHaveProperty('userId');
    const confirm = await t.api.request('POST', `/api/reservations/${hold.body.reservation.id}/confirm`, {
      token: fan,
    });
    expect(confirm.status).toBe(200);
    expect(confirm.body.reservation.status).toBe('confirmed');
    expect(confirm.body.tickets).toHaveLength(2);
    for (const ticket of confirm.body.tickets) expect(ticket.code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    const twice = await t.api.request('POST', `/api/reservations/${hold.body.reservation.id}/confirm`, {
      token: fan,
    });
    expect(twice.body.tickets).toEqual(confirm.body.tickets);
    const tickets = await t.api.request('GET', '/api/me/tickets', { token: fan });
    expect(tickets.body.tickets.map((x: { code: string }) => x.code).sort()).toEqual(
      confirm.body.tickets.map((x: { code: string }) => x.code).sort(),
    );
    const cancelConfirmed = await t.api.request('DELETE', `/api/reservations/${hold.body.reservation.id}`, {
      token: fan,
    });
    expect(cancelConfirmed.status).toBe(409);
    expect(cancelConfirmed.body.error.code).toBe('RESERVATION_CONFIRMED');

    const second = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { ...body, quantity: 1 },
    });
    const cancelled = await t.api.request('DELETE', `/api/reservations/${second.body.reservation.id}`, {
      token: fan,
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.reservation.status).toBe('cancelled');
    const confirmCancelled = await t.api.request(
      'POST',
      `/api/reservations/${second.body.reservation.id}/confirm`,
      { token: fan },
    );
    expect(confirmCancelled.body.error.code).toBe('RESERVATION_CANCELLED');
    expect((await t.api.request('GET', `/api/concerts/${concert.id}`)).body.concert.availableTickets).toBe(8);
  });
});

describe('concert size caps: every message about a concert fits one WebSocket frame (issue 14 item 4)', () => {
  let t: TestService;
  let admin: string;
  const { maxTiersPerConcert, maxTextLength, maxTierNameLength } = CONCERT_LIMITS;
  const tiers = (from: number, count: number, nameLength = 8) =>
    Array.from({ length: count }, (_, i) => ({
      name: `${from + i}`.padStart(nameLength, 'T'),
      priceCents: 10_000_000,
      currency: 'EUR',
      capacity: 1_000_000,
      maxPerOrder: 100,
    }));

  beforeAll(async () => {
    t = await startTestService();
    admin = await t.api.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('caps the tiers of a concert in total across PATCHes (400 with details, nothing added)', async () => {
    const concert = await t.api.createConcert(admin, tiers(0, 20));
    const patch = (body: unknown) =>
      t.api.request('PATCH', `/api/concerts/${concert.id}`, { token: admin, body });
    let count = 20;
    while (count < maxTiersPerConcert) {
      const step = Math.min(20, maxTiersPerConcert - count);
      expect((await patch({ tiers: tiers(count, step) })).status).toBe(200);
      count += step;
    }
    const over = await patch({ title: 'One too many', tiers: tiers(count, 1) });
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'tiers', max: maxTiersPerConcert, total: maxTiersPerConcert + 1 },
    });
    const after = (await t.api.request('GET', `/api/concerts/${concert.id}`)).body.concert;
    expect(after.tiers).toHaveLength(maxTiersPerConcert);
    expect(after.title).toBe('Flash Sale Live');
  });

  it('refuses over-long or control-character text and dates outside the sane range with a 400', async () => {
    const concert = await t.api.createConcert(admin, tiers(0, 1));
    const long = 'x'.repeat(maxTextLength + 1);
    const base = {
      title: 'T',
      artist: 'A',
      venue: 'V',
      startsAt: '2031-01-01T00:00:00Z',
      tiers: tiers(0, 1),
    };
    const bodies: Array<Record<string, unknown>> = [
      { title: long },
      { artist: long },
      { venue: long },
      { title: 'nul\u0000byte' },
      { tiers: tiers(0, 1, maxTierNameLength + 1) },
      { startsAt: '0000-01-01T00:00:00Z' },
      { startsAt: '1969-12-31T23:59:59Z' },
      { startsAt: '9999-12-31T23:59:59+14:00' },
      { startsAt: '2100-01-01T00:00:00Z' },
    ];
    for (const change of bodies) {
      const created = await t.api.request('POST', '/api/concerts', {
        token: admin,
        body: { ...base, ...change },
      });
      expect(created.status, JSON.stringify(change)).toBe(400);
      expect(created.body.error.code).toBe('VALIDATION_FAILED');
      const patched = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
        token: admin,
        body: change,
      });
      expect(patched.status, JSON.stringify(change)).toBe(400);
      expect(patched.body.error.code).toBe('VALIDATION_FAILED');
    }
    const inRange = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { startsAt: '2099-12-31T23:59:59+00:00', title: 'x'.repeat(maxTextLength) },
    });
    expect(inRange.status).toBe(200);
  });

  it('sends the largest allowed concert as a concert-update well under the 128 KB frame limit', async () => {
    const name = (n: number) => `${n}`.padStart(maxTierNameLength, 'N');
    const largest = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'T'.repeat(maxTextLength),
        artist: 'A'.repeat(maxTextLength),
        venue: 'V'.repeat(maxTextLength),
        startsAt: '2031-01-01T00:00:00Z',
        tiers: tiers(0, 20).map((tier, i) => ({ ...tier, name: name(i) })),
      },
    });
    expect(largest.status).toBe(201);
    const id = largest.body.concert.id;
    for (let from = 20; from < maxTiersPerConcert; from += 20) {
      const count = Math.min(20, maxTiersPerConcert - from);
      const grown = await t.api.request('PATCH', `/api/concerts/${id}`, {
        token: admin,
        body: { tiers: tiers(from, count).map((tier, i) => ({ ...tier, name: name(from + i) })) },
      });
      expect(grown.status).toBe(200);
    }
    const watcher = await rawClient(t.service.url);
    try {
      watcher.send({ action: 'join-concert', concertId: id });
      const update = await watcher.inbox.next((m) => m.type === 'concert-update' && m.concertId === id);
      expect(update.tiers).toHaveLength(maxTiersPerConcert);
      expect(Buffer.byteLength(JSON.stringify(update))).toBeLessThan(128 * 1024);
    } finally {
      watcher.close();
    }
    // The REST answer carries the texts too; it is bounded by the same caps.
    const body = (await t.api.request('GET', `/api/concerts/${id}`)).body;
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(128 * 1024);
  });
});

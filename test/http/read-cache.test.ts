import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CachedConcertRepository } from '../../functions/adapters/memory/cached-concert-repository';
import { startTestService, type TestService } from '../support/test-service';

describe('concert reads served from memory, kept fresh by the published events', () => {
  let t: TestService;

  beforeAll(async () => {
    t = await startTestService({ REALTIME_COALESCE_MS: '50', TICKETS_PER_USER_LIMIT: '0' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers repeated GETs without the database and follows sales and edits', async () => {
    const cache = t.service.services.concerts as CachedConcertRepository;
    const admin = await t.api.adminToken();
    const fan = await t.api.register('cache-fan@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 10 }]);
    const get = async () => (await t.api.request('GET', `/api/concerts/${concert.id}`)).body.concert;

    await get();
    const misses = cache.misses;
    for (let i = 0; i < 5; i++) expect((await get()).availableTickets).toBe(10);
    expect(cache.misses).toBe(misses);

    const hold = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 3 },
    });
    // This instance's own sale: the next read reloads once (read-your-writes), then memory serves again.
    const seen = await get();
    expect(seen).toMatchObject({ availableTickets: 7, totalBooked: 3 });
    expect(seen.version).toBeGreaterThan(concert.version);
    expect(cache.misses).toBe(misses + 1);
    const afterSale = cache.misses;
    expect((await get()).availableTickets).toBe(7);
    expect(cache.misses).toBe(afterSale);

    // Another replica's release, heard on the bus: patched in place, no database read.
    const released = await t.api.request('DELETE', `/api/reservations/${hold.body.reservation.id}`, {
      token: fan,
    });
    expect(released.status).toBe(200);
    expect((await get()).availableTickets).toBe(10);
    const reloads = cache.misses;
    const tier = seen.tiers[0];
    await t.service.services.realtime.bus.publish({
      type: 'concert-update',
      concertId: concert.id,
      availableTickets: 10,
      totalBooked: 0,
      tiers: [{ id: tier?.id ?? '', available: 10, capacity: 10 }],
      version: seen.version + 1_000,
    });
    await expect.poll(async () => (await get()).version).toBe(seen.version + 1_000);
    expect(cache.misses).toBe(reloads);

    await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { title: 'Renamed Live' },
    });
    expect((await get()).title).toBe('Renamed Live');
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CachedConcertRepository,
  CONCERT_CACHE_MAX_AGE_MS,
} from '../../functions/adapters/memory/cached-concert-repository';
import { loadConfig } from '../../functions/config/service-config';
import type { Concert } from '../../functions/core/model';
import { type RunningService, startService } from '../../local/service';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { ApiClient, startTestService, type TestService } from '../support/test-service';

/** Issue 14 item 7: a client reads its own writes, and overdue holds read as free at once. */
describe('one instance reads its own writes at once (coalescing window 1 s)', () => {
  let t: TestService;

  beforeAll(async () => {
    // A long coalescing window: the bus alone would show each change about a second late.
    t = await startTestService({
      REALTIME_COALESCE_MS: '1000',
      TICKETS_PER_USER_LIMIT: '0',
      HOLD_TTL_SECONDS: '2',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const concertNow = async (id: string): Promise<Concert> =>
    (await t.api.request('GET', `/api/concerts/${id}`)).body.concert;
  const listed = async (id: string): Promise<Concert | undefined> =>
    (await t.api.request('GET', '/api/concerts')).body.concerts.find((c: Concert) => c.id === id);

  it('shows each 2xx change on the next GET (one concert and the list)', async () => {
    const admin = await t.api.adminToken();
    const fan = await t.api.register('ryw-fan@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 10 }]);
    const tierId = concert.tiers[0]?.id;
    expect((await concertNow(concert.id)).availableTickets).toBe(10);
    expect((await listed(concert.id))?.availableTickets).toBe(10);

    const hold = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId, quantity: 3 },
    });
    expect(hold.status).toBe(201);
    expect((await concertNow(concert.id)).availableTickets).toBe(7);
    expect((await listed(concert.id))?.availableTickets).toBe(7);

    const cancel = await t.api.request('DELETE', `/api/reservations/${hold.body.reservation.id}`, {
      token: fan,
    });
    expect(cancel.status).toBe(200);
    expect((await concertNow(concert.id)).availableTickets).toBe(10);
    expect((await listed(concert.id))?.availableTickets).toBe(10);

    const second = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId, quantity: 2 },
    });
    expect((await concertNow(concert.id)).availableTickets).toBe(8);
    const confirm = await t.api.request('POST', `/api/reservations/${second.body.reservation.id}/confirm`, {
      token: fan,
    });
    expect(confirm.status).toBe(200);
    expect(await concertNow(concert.id)).toMatchObject({ availableTickets: 8, totalBooked: 2 });

    const patch = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { title: 'Bigger', tiers: [{ id: tierId, capacity: 20 }] },
    });
    expect(patch.status).toBe(200);
    expect(await concertNow(concert.id)).toMatchObject({ title: 'Bigger', availableTickets: 18 });
    expect((await listed(concert.id))?.availableTickets).toBe(18);
  });

  it('states the staleness bound in the OpenAPI document', async () => {
    const paths = (await t.api.request('GET', '/api/openapi.json')).body.paths;
    for (const path of ['/api/concerts', '/api/concerts/{id}']) {
      expect(paths[path].get.summary).toContain(`within ${CONCERT_CACHE_MAX_AGE_MS / 1000} s`);
    }
  });

  it('counts a hold as free from its expiresAt on, as the sale path does', async () => {
    const admin = await t.api.adminToken();
    const fan = await t.api.register('ryw-expiry@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 4 }]);
    const hold = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 4 },
    });
    expect(hold.status).toBe(201);
    const cache = t.service.services.concerts as CachedConcertRepository;
    expect((await concertNow(concert.id)).availableTickets).toBe(0);
    expect((await listed(concert.id))?.availableTickets).toBe(0);
    const hits = cache.hits;
    expect((await concertNow(concert.id)).availableTickets).toBe(0);
    expect(cache.hits).toBe(hits + 1); // served from memory while the hold is live

    const expiresAt = Date.parse(hold.body.reservation.expiresAt);
    await sleep(Math.max(0, expiresAt - Date.now()) + 5);
    expect((await concertNow(concert.id)).availableTickets).toBe(4);
    expect((await listed(concert.id))?.availableTickets).toBe(4);
  });
});

describe(`two instances sharing the database and Redis: another's change shows within ${CONCERT_CACHE_MAX_AGE_MS} ms`, () => {
  let one: TestService;
  let two: RunningService;
  let apiTwo: ApiClient;
  const prefix = testRedisPrefix();
  const jwtSecret = randomBytes(32).toString('hex');

  beforeAll(async () => {
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      JWT_SECRET: jwtSecret,
      REALTIME_COALESCE_MS: '50',
      TICKETS_PER_USER_LIMIT: '0',
    };
    one = await startTestService(env);
    two = await startService(
      loadConfig({
        ...env,
        PORT: '0',
        DATABASE_URL: one.database.url,
        DATA_DIR: await mkdtemp(join(tmpdir(), 'cts-test-')),
        INSTANCE_ID: 'replica-two',
        LOG_LEVEL: 'silent',
      }),
    );
    apiTwo = new ApiClient(two.url);
  });
  afterAll(async () => {
    await two?.stop(1_000);
    await one?.close();
    await dropRedisPrefix(prefix);
  });

  it('follows the published update (the usual case)', async () => {
    const admin = await one.api.adminToken();
    const fan = await one.api.register('replica-fan@example.test');
    const concert = await one.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 10 }]);
    expect((await apiTwo.request('GET', `/api/concerts/${concert.id}`)).body.concert.availableTickets).toBe(
      10,
    );

    const hold = await one.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 3 },
    });
    expect(hold.status).toBe(201);
    await expect
      .poll(
        async () =>
          (await apiTwo.request('GET', `/api/concerts/${concert.id}`)).body.concert.availableTickets,
      )
      .toBe(7);
  });

  it('meets the bound even when the update never arrives', async () => {
    const admin = await one.api.adminToken();
    const fan = await one.api.register('replica-lost@example.test');
    const concert = await one.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 10 }]);
    // Replica two stops hearing the bus: only the entry's age bounds what it serves.
    await (two.services.concerts as CachedConcertRepository).close();
    expect((await apiTwo.request('GET', `/api/concerts/${concert.id}`)).body.concert.availableTickets).toBe(
      10,
    );

    const hold = await one.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 3 },
    });
    expect(hold.status).toBe(201);
    const answeredAt = Date.now();
    await sleep(CONCERT_CACHE_MAX_AGE_MS - (Date.now() - answeredAt));
    expect((await apiTwo.request('GET', `/api/concerts/${concert.id}`)).body.concert.availableTickets).toBe(
      7,
    );
  });
});

import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoOversell } from '../support/invariants';
import { freePort } from '../support/processes';
import { rawClient } from '../support/realtime-clients';
import { startPrivateRedis } from '../support/redis';
import { startTestService, type TestService } from '../support/test-service';

async function stopRedis(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('Redis stopped during sales', () => {
  let redisPort: number;
  let redis: ChildProcess;
  let t: TestService;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startPrivateRedis(redisPort);
    t = await startTestService({
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      TICKETS_PER_USER_LIMIT: '0',
      HOLDS_PER_USER_LIMIT: '0',
    });
  });
  afterAll(async () => {
    await t?.close();
    if (redis.exitCode === null) await stopRedis(redis);
  });

  it('keeps selling while Redis is down, and a re-joined watcher sees the true availability after', async () => {
    const admin = await t.api.adminToken();
    const fan = await t.api.register('outage@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 100 }]);
    const body = { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 2 };
    const watcher = await rawClient(t.service.url);
    watcher.send({ action: 'join-concert', concertId: concert.id });
    await watcher.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 100);
    expect((await t.api.request('GET', '/ready')).status).toBe(200);

    await stopRedis(redis);
    const failuresBefore = t.service.services.events.failures;
    const during = await Promise.all(
      Array.from({ length: 10 }, () => t.api.request('POST', '/api/reservations', { token: fan, body })),
    );
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect((await t.api.request('GET', '/ready')).status).toBe(503);
    // Coalesced publishes run after the responses: wait until one has been counted as failed.
    await expect
      .poll(() => t.service.services.events.failures, { timeout: 10_000 })
      .toBeGreaterThan(failuresBefore);

    redis = await startPrivateRedis(redisPort);
    await expect
      .poll(async () => (await t.api.request('GET', '/ready')).status, { timeout: 10_000 })
      .toBe(200);

    // The registry was lost with Redis: the client re-joins, as the protocol says, and converges.
    const rejoined = await rawClient(t.service.url);
    rejoined.send({ action: 'join-concert', concertId: concert.id });
    expect(await rejoined.inbox.next((m) => m.type === 'concert-update')).toMatchObject({
      availableTickets: 80,
      totalBooked: 20,
    });

    // And live updates flow again once the subscriber is back.
    expect((await t.api.request('POST', '/api/reservations', { token: fan, body })).status).toBe(201);
    await rejoined.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 78);
    // The watcher that never re-joined hears it too: the shim rebuilt its registration (issue 14 item 3).
    await watcher.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 78);
    await expectNoOversell(t.service.services.db);
    watcher.close();
    rejoined.close();
  });
});

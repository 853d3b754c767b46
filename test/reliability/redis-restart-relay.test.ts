import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayReport } from '../../functions/core/relay-availability';
import { handler as relay } from '../../functions/handlers/relay';
import { expectNoOversell } from '../support/invariants';
import { fakeLambdaContext } from '../support/lambda-context';
import { freePort } from '../support/processes';
import { rawClient } from '../support/realtime-clients';
import { startPrivateRedis } from '../support/redis';
import { startTestService, type TestService } from '../support/test-service';

const runRelay = () => relay({ runForMs: 300 }, fakeLambdaContext()) as Promise<RelayReport>;

describe('the relay across a Redis restart during sales', () => {
  let port: number;
  let dir: string;
  let redis: ChildProcess;
  let t: TestService;

  beforeAll(async () => {
    port = await freePort();
    dir = await mkdtemp(`${tmpdir()}/cts-redis-`);
    redis = await startPrivateRedis(port, dir);
    t = await startTestService({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REALTIME_COALESCE_MS: '0',
      TICKETS_PER_USER_LIMIT: '0',
      HOLDS_PER_USER_LIMIT: '0',
    });
    await t.service.fanout.stop(); // only the relay delivers
  });
  afterAll(async () => {
    await t?.close();
    redis?.kill('SIGKILL');
  });

  it('keeps selling while Redis is down, then resumes from its stored position and converges', async () => {
    const admin = await t.api.adminToken();
    const fan = await t.api.register('relay-restart@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 100 }]);
    const body = { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 };
    const watcher = await rawClient(t.service.url);
    watcher.send({ action: 'join-concert', concertId: concert.id });
    await watcher.inbox.next((m) => m.type === 'concert-update');
    await runRelay();
    const before = await runRelay();
    expect(before.leader).toBe(true);

    // Published but not yet relayed when Redis goes down.
    await t.api.request('POST', '/api/reservations', { token: fan, body });
    const stopped = new Promise((resolve) => redis.once('exit', resolve));
    redis.kill('SIGTERM');
    await stopped;

    const during = await Promise.all(
      Array.from({ length: 5 }, () => t.api.request('POST', '/api/reservations', { token: fan, body })),
    );
    expect(during.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    await expect(runRelay()).rejects.toThrow();

    redis = await startPrivateRedis(port, dir);
    // The service's client reconnects (ioredis backs off a little more after each failed attempt).
    const ready = async () => (await t.api.request('GET', '/ready')).status;
    await expect.poll(ready, { timeout: 15_000, interval: 100 }).toBe(200);
    watcher.inbox.clear();
    const resumed = await runRelay();
    expect(resumed.leader).toBe(true);
    // The update published before the outage was still waiting at the stored position.
    expect(watcher.inbox.messages.some((m) => m.type === 'concert-update' && m.availableTickets === 99)).toBe(
      true,
    );

    // The next change carries the true availability: watchers converge.
    await t.api.request('POST', '/api/reservations', { token: fan, body });
    await runRelay();
    expect(watcher.inbox.messages.filter((m) => m.type === 'concert-update').at(-1)).toMatchObject({
      availableTickets: 93,
    });
    await expectNoOversell(t.service.services.db);
    watcher.close();
  });
});

import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Concert } from '../../functions/core/model';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { freePort, replicaEnv, type ServiceProcess, spawnServer, waitForReady } from '../support/processes';
import { type RawClient, rawClient, type SocketIoClient, socketIoClient } from '../support/realtime-clients';
import { startPrivateRedis } from '../support/redis';
import { ApiClient } from '../support/test-service';

/** The registry's TTL, s: the shortest the configuration takes (WS_REGISTRY_TTL_SECONDS ≥ 1). */
const TTL_SECONDS = 1;

async function stopRedis(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Invariant 4 for every transport, with the watchers on replica one and every sale on replica two:
 * the registry kept in Redis lives past its TTL and survives Redis coming back empty.
 */
describe('live watchers on one replica, sales on the other', () => {
  let database: TestDatabase;
  let redisPort: number;
  let redis: ChildProcess;
  const processes: ServiceProcess[] = [];
  const clients: Array<RawClient | SocketIoClient> = [];
  let one: ApiClient;
  let two: ApiClient;
  let admin: string;
  let fan: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    redisPort = await freePort();
    redis = await startPrivateRedis(redisPort);
    const shared = {
      ...replicaEnv(database.url, 'heal:', {
        ADMIN_EMAIL: 'boss@example.test',
        ADMIN_PASSWORD: 'boss-password',
        REALTIME_COALESCE_MS: '50',
        TICKETS_PER_USER_LIMIT: '0',
        HOLDS_PER_USER_LIMIT: '0',
        WS_REGISTRY_TTL_SECONDS: String(TTL_SECONDS),
      }),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    };
    const [p1, p2] = [await freePort(), await freePort()];
    processes.push(spawnServer({ ...shared, PORT: String(p1), INSTANCE_ID: 'replica-1' }));
    await waitForReady(`http://127.0.0.1:${p1}`);
    processes.push(spawnServer({ ...shared, PORT: String(p2), INSTANCE_ID: 'replica-2' }));
    one = new ApiClient(`http://127.0.0.1:${p1}`);
    two = new ApiClient(`http://127.0.0.1:${p2}`);
    await waitForReady(two.baseUrl);
    admin = await one.login('boss@example.test', 'boss-password');
    fan = await one.register('heal-fan@example.test');
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
    await database?.drop();
    if (redis.exitCode === null) await stopRedis(redis);
  });

  /** Watchers of both transports (and admins of both) on replica one. */
  async function watchOnReplicaOne(concert: Concert) {
    const raw = await rawClient(one.baseUrl);
    const rawAdmin = await rawClient(one.baseUrl, admin);
    const sio = await socketIoClient(one.baseUrl, { token: admin });
    clients.push(raw, rawAdmin, sio);
    raw.send({ action: 'join-concert', concertId: concert.id });
    rawAdmin.send({ action: 'join-admin' });
    sio.socket.emit('join-concert', concert.id);
    sio.socket.emit('join-admin');
    await raw.inbox.next((m) => m.type === 'concert-update');
    await sio.inbox.next((m) => m.type === 'concert-update');
    // join-admin has no answer: an admin notice for a sale on replica two proves it took.
    await expect
      .poll(async () => {
        await sell(concert);
        return rawAdmin.inbox.messages.some((m) => m.type === 'admin-notification');
      })
      .toBe(true);
    return { raw, rawAdmin, sio };
  }

  async function sell(concert: Concert): Promise<number> {
    const sale = await two.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
    });
    expect(sale.status).toBe(201);
    expect(sale.headers.get('x-instance-id')).toBe('replica-2');
    const now = await two.request('GET', `/api/concerts/${concert.id}`);
    return now.body.concert.availableTickets;
  }

  /**
   * Sells on replica two until every client on one has heard a sale: each try sells once and waits up to
   * 1 s (ms: 1_000) for the raw and socket.io watchers to hear an availability at or below that sale's, and
   * for the admin to hear a notice; it gives up after 20 tries, with the last timeout.
   */
  async function expectAllHear(concert: Concert, watchers: Awaited<ReturnType<typeof watchOnReplicaOne>>) {
    const { raw, rawAdmin, sio } = watchers;
    raw.inbox.clear();
    rawAdmin.inbox.clear();
    sio.inbox.clear();
    // A sale published while a subscriber is still reconnecting is lost; the next one heals (invariant 4).
    for (let attempt = 1; ; attempt++) {
      const available = await sell(concert);
      const update = (m: { type: string; availableTickets?: number }) =>
        m.type === 'concert-update' && (m.availableTickets ?? Number.POSITIVE_INFINITY) <= available;
      try {
        await Promise.all([
          raw.inbox.next(update, 1_000),
          sio.inbox.next(update, 1_000),
          rawAdmin.inbox.next((m) => m.type === 'admin-notification', 1_000),
        ]);
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
      }
    }
  }

  it('keeps pushing to raw and socket.io watchers after the registry TTL has passed (heartbeats refresh it)', async () => {
    const concert = await one.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 500 }]);
    const watchers = await watchOnReplicaOne(concert);

    // The input under test is time itself (no fact to poll): the connections outlive the registry's TTL
    // twice over, the shortest wait that proves the heartbeats (every TTL / 3) renewed it.
    await sleep(TTL_SECONDS * 2_000 + 500);

    await expectAllHear(concert, watchers);
  });

  it('keeps pushing to raw and socket.io watchers after Redis restarts empty', async () => {
    const concert = await one.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 500 }]);
    const watchers = await watchOnReplicaOne(concert);

    await stopRedis(redis);
    redis = await startPrivateRedis(redisPort);
    for (const replica of [one, two]) {
      await expect.poll(async () => (await replica.request('GET', '/ready')).status).toBe(200);
    }

    await expectAllHear(concert, watchers);
  });
});

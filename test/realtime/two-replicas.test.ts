import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { freePort, replicaEnv, type ServiceProcess, spawnServer, waitForReady } from '../support/processes';
import {
  adminFeedsLive,
  type RawClient,
  rawClient,
  type SocketIoClient,
  socketIoClient,
} from '../support/realtime-clients';
import { dropRedisPrefix, testRedisPrefix } from '../support/redis';
import { ApiClient } from '../support/test-service';

describe('two shim processes sharing PostgreSQL and Redis', () => {
  let database: TestDatabase;
  const processes: ServiceProcess[] = [];
  let one: ApiClient;
  let two: ApiClient;
  const clients: Array<RawClient | SocketIoClient> = [];
  const prefix = testRedisPrefix();

  beforeAll(async () => {
    database = await createTestDatabase();
    const shared = replicaEnv(database.url, prefix, {
      ADMIN_EMAIL: 'boss@example.test',
      ADMIN_PASSWORD: 'boss-password',
      REALTIME_COALESCE_MS: '100',
    });
    const [p1, p2] = [await freePort(), await freePort()];
    processes.push(spawnServer({ ...shared, PORT: String(p1), INSTANCE_ID: 'replica-1' }));
    await waitForReady(`http://127.0.0.1:${p1}`);
    processes.push(spawnServer({ ...shared, PORT: String(p2), INSTANCE_ID: 'replica-2' }));
    one = new ApiClient(`http://127.0.0.1:${p1}`);
    two = new ApiClient(`http://127.0.0.1:${p2}`);
    await waitForReady(two.baseUrl);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
    await database?.drop();
    await dropRedisPrefix(prefix);
  });

  it('delivers a sale on one replica to a ws client and a socket.io client on the other', async () => {
    const admin = await one.login('boss@example.test', 'boss-password');
    const concert = await one.createConcert(admin, [
      { name: 'Floor', priceCents: 5000, capacity: 10 },
      { name: 'Seats', priceCents: 3000, capacity: 20 },
    ]);
    const fan = await one.register('watcher@example.test');

    const raw = await rawClient(one.baseUrl);
    clients.push(raw);
    raw.send({ action: 'join-concert', concertId: concert.id });
    const rawSnapshot = await raw.inbox.next((m) => m.type === 'concert-update');
    expect(rawSnapshot).toMatchObject({ concertId: concert.id, availableTickets: 30, totalBooked: 0 });

    const sio = await socketIoClient(two.baseUrl);
    clients.push(sio);
    sio.socket.emit('join-concert', concert.id);
    const sioSnapshot = await sio.inbox.next((m) => m.type === 'concert-update');
    expect(sioSnapshot).toMatchObject({ availableTickets: 30, version: rawSnapshot.version });

    // A sale through replica 2 reaches the ws client on replica 1 ...
    const floor = concert.tiers[0]?.id;
    const sale = await two.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: floor, quantity: 3 },
    });
    expect(sale.status).toBe(201);
    expect(sale.headers.get('x-instance-id')).toBe('replica-2');
    const rawUpdate = await raw.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 27);
    expect(rawUpdate.version).toBeGreaterThan(rawSnapshot.version);
    expect(rawUpdate.totalBooked).toBe(3);
    expect(rawUpdate.tiers).toEqual([
      { id: floor, available: 7, capacity: 10 },
      { id: concert.tiers[1]?.id, available: 20, capacity: 20 },
    ]);

    // ... and one through replica 1 reaches the socket.io client on replica 2.
    const second = await one.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: floor, quantity: 2 },
    });
    expect(second.headers.get('x-instance-id')).toBe('replica-1');
    const sioUpdate = await sio.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 25);
    expect(sioUpdate.version).toBeGreaterThan(rawUpdate.version);

    const versions = raw.inbox.messages.filter((m) => m.type === 'concert-update').map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('gives join-admin without an admin token an error and no notifications; admins get them', async () => {
    const admin = await one.login('boss@example.test', 'boss-password');
    const stranger = await rawClient(one.baseUrl);
    const boss = await rawClient(two.baseUrl, admin);
    // An admin on the stranger's replica: what it receives, the stranger would have been sent too.
    const witness = await rawClient(one.baseUrl, admin);
    clients.push(stranger, boss, witness);
    stranger.send({ action: 'join-admin' });
    expect(await stranger.inbox.next((m) => m.type === 'error')).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
    });
    boss.send({ action: 'join-admin' });
    witness.send({ action: 'join-admin' });
    await adminFeedsLive([boss, witness], async () => {
      const probe = await one.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 1 }]);
      return probe.id;
    });

    const concert = await one.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 1 }]);
    const fan = await one.register('admin-watch@example.test');
    const sale = await one.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
    });
    const reservationId = sale.body.reservation.id;
    // One by one, or counted in the `reservations` summary when the window already had its share (issue 19).
    const notice = await boss.inbox.next(
      (m) =>
        (m.type === 'admin-notification' && m.event === 'new-reservation') ||
        (m.type === 'reservations' &&
          m.concerts.some((c: { concertId: string }) => c.concertId === concert.id)),
    );
    if (notice.type === 'admin-notification')
      expect(notice).toMatchObject({ concertId: concert.id, reservationId });
    else expect(notice.concerts).toContainEqual({ concertId: concert.id, holds: 1 });
    await boss.inbox.next(
      (m) => m.type === 'admin-notification' && m.event === 'sold-out' && m.reservationId === reservationId,
    );
    // The notices went out on the stranger's replica, and the stranger's socket still answers after them.
    await witness.inbox.next(
      (m) => m.type === 'admin-notification' && m.event === 'sold-out' && m.reservationId === reservationId,
    );
    stranger.send({ action: 'join-concert', concertId: concert.id });
    await stranger.inbox.next((m) => m.type === 'concert-update' && m.concertId === concert.id);
    expect(stranger.inbox.messages.filter((m) => m.type === 'admin-notification')).toEqual([]);
  });

  it('refuses a WebSocket connection with a bad token, and answers bad messages with an error', async () => {
    const refused = await rawClient(one.baseUrl, 'not-a-token');
    const code = await new Promise<number>((resolve) => refused.socket.once('close', (c) => resolve(c)));
    expect(code).toBe(1008);

    const client = await rawClient(one.baseUrl);
    clients.push(client);
    client.socket.send('{nope');
    expect(await client.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    client.send({ action: 'join-concert', concertId: '00000000-0000-4000-8000-000000000000' });
    expect(await client.inbox.next((m) => m.type === 'error' && m.code === 'NOT_FOUND')).toBeTruthy();
  });

  it('a waiting room turned on at one replica gates reservations at the other once it hears the change, not up to 2 s later (found by an outside tester)', async () => {
    const admin = await one.login('boss@example.test', 'boss-password');
    const concert = await one.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 50 }]);
    const fan = await one.register('gate-replicas@example.test');
    const feed = await rawClient(two.baseUrl, admin);
    clients.push(feed);
    feed.send({ action: 'join-admin' });
    await adminFeedsLive([feed], async () => {
      const probe = await one.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 1 }]);
      return probe.id;
    });
    const reserveOnTwo = () =>
      two.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
      });
    // Replica 2's gate has just read the concert (no waiting room then): an entry it may keep up to 2 s.
    expect((await reserveOnTwo()).status).toBe(201);
    const on = await one.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { waitingRoom: { enabled: true, admissionPerMinute: 60 } },
    });
    expect(on.status).toBe(200);
    // Replica 2 has heard the change once its admin feed shows it (the same message, the same dispatch).
    await feed.inbox.next(
      (m) => m.type === 'admin-notification' && m.event === 'concert-updated' && m.concertId === concert.id,
    );
    const refused = await reserveOnTwo();
    expect(refused.headers.get('x-instance-id')).toBe('replica-2');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ADMISSION_REQUIRED');
  });
});

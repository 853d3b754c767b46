import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisKeys } from '../../functions/adapters/redis/redis-keys';
import type { Concert } from '../../functions/core/model';
import { adminNotification, type ConcertUpdateMessage, concertUpdate } from '../../functions/core/realtime';
import { freePort } from '../support/processes';
import { type RawClient, rawClient, type SocketIoClient, socketIoClient } from '../support/realtime-clients';
import { startPrivateRedis } from '../support/redis';
import { startTestService, type TestService } from '../support/test-service';

const PREFIX = 'watch-path:';
const UPDATES = 40;

/**
 * Issue 18 item 4 / issue 19: one watcher path for every transport. The shim's fan-out reads each
 * gateway's own watch sets in memory (no Redis command per update), delivers every version the bus
 * carries (the publisher is the one coalescing point), and one admin rule answers both transports.
 */
describe('one watcher path for raw /ws and Socket.IO', () => {
  let redis: ChildProcess;
  let redisUrl: string;
  let t: TestService;
  let concert: Concert;
  let admin: string;
  let fan: string;
  const clients: Array<RawClient | SocketIoClient> = [];

  beforeAll(async () => {
    // A Redis of this file's own, so MONITOR sees this service's commands and no other test's.
    const port = await freePort();
    redis = await startPrivateRedis(port);
    redisUrl = new URL(`redis://127.0.0.1:${port}`).toString();
    t = await startTestService({
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: PREFIX,
      // A long window: were the fan-out to coalesce again, a burst would reach watchers as one or two updates.
      REALTIME_COALESCE_MS: '1000',
    });
    admin = await t.api.adminToken();
    fan = await t.api.register('watch-path-fan@example.test');
    concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 50 }]);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await t?.close();
    if (redis && redis.exitCode === null) {
      const exited = new Promise((resolve) => redis.once('exit', resolve));
      redis.kill('SIGKILL');
      await exited;
    }
  });

  it('fans a burst out to raw and Socket.IO watchers and admins from memory: no Redis command per update, every version delivered', async () => {
    const raw = await rawClient(t.service.url);
    const rawAdmin = await rawClient(t.service.url, admin);
    const sio = await socketIoClient(t.service.url, { token: admin });
    clients.push(raw, rawAdmin, sio);
    raw.send({ action: 'join-concert', concertId: concert.id });
    rawAdmin.send({ action: 'join-admin' });
    sio.socket.emit('join-concert', concert.id);
    sio.socket.emit('join-admin');
    const snapshot: ConcertUpdateMessage = await raw.inbox.next((m) => m.type === 'concert-update');
    await sio.inbox.next((m) => m.type === 'concert-update');
    // join-admin has no answer: a notice reaching both admins proves both joins took.
    const publisher = new Redis(redisUrl);
    const channel = redisKeys(PREFIX).updatesChannel;
    const notice = (reservationId: string) =>
      JSON.stringify(adminNotification({ event: 'new-reservation', concertId: concert.id, reservationId }));
    await expect
      .poll(
        async () => {
          await publisher.publish(channel, notice('warm-up'));
          const got = (c: RawClient | SocketIoClient) =>
            c.inbox.messages.some((m) => m.type === 'admin-notification' && m.reservationId === 'warm-up');
          return got(rawAdmin) && got(sio);
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe(true);

    const stored = await t.service.services.storedConcerts.get(concert.id);
    if (!stored) throw new Error('the concert is gone');
    const base = concertUpdate(stored);
    expect(base.version).toBe(snapshot.version);

    // Every command Redis runs from now on, except this test's own publisher's.
    const monitor = await new Redis(redisUrl).monitor();
    const seen: Array<{ args: string[]; source: string }> = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }));
    const ownSource = `127.0.0.1:${publisher.stream.localPort}`;
    try {
      await expect
        .poll(async () => {
          await publisher.echo(`${PREFIX}monitor-ready`);
          return seen.some(({ args }) => args[1] === `${PREFIX}monitor-ready`);
        })
        .toBe(true);
      seen.length = 0;

      for (let i = 1; i <= UPDATES; i++) {
        await publisher.publish(channel, JSON.stringify({ ...base, version: base.version + i }));
        await publisher.publish(channel, notice(`burst-${i}`));
      }
      const last = base.version + UPDATES;
      for (const watcher of [raw, sio])
        await watcher.inbox.next((m) => m.type === 'concert-update' && m.version === last);
      for (const feed of [rawAdmin, sio])
        await feed.inbox.next(
          (m) => m.type === 'admin-notification' && m.reservationId === `burst-${UPDATES}`,
        );
      // Redis runs commands in order and MONITOR reports them so: once this is seen, everything run before is.
      await publisher.echo(`${PREFIX}monitor-done`);
      await expect.poll(() => seen.some(({ args }) => args[1] === `${PREFIX}monitor-done`)).toBe(true);
    } finally {
      monitor.disconnect();
      publisher.disconnect();
    }

    const serviceCommands = seen.filter(({ source }) => source !== ownSource).map(({ args }) => args);
    // No read of the watchers or the admin feed in Redis; at most the periodic registry refresh (every
    // 30 s) may fall into the window, never a command per update.
    const registryReads = serviceCommands.filter(([name]) =>
      /^(zrange|zrangebyscore|smembers|hget)/i.test(name ?? ''),
    );
    expect(registryReads).toEqual([]);
    expect(serviceCommands.length).toBeLessThan(UPDATES);

    // Every version the bus carried reached both transports: the fan-out does not coalesce a second time.
    const versions = (c: RawClient | SocketIoClient) =>
      c.inbox.messages
        .filter((m) => m.type === 'concert-update' && m.version > base.version)
        .map((m) => m.version as number);
    const all = Array.from({ length: UPDATES }, (_, i) => base.version + i + 1);
    expect(versions(raw)).toEqual(all);
    expect(versions(sio)).toEqual(all);
    const notices = (c: RawClient | SocketIoClient) =>
      c.inbox.messages.filter(
        (m) => m.type === 'admin-notification' && String(m.reservationId).startsWith('burst-'),
      ).length;
    expect(notices(rawAdmin)).toBe(UPDATES);
    expect(notices(sio)).toBe(UPDATES);
    // Watchers who did not join the admin feed get no notice.
    expect(raw.inbox.messages.filter((m) => m.type === 'admin-notification')).toEqual([]);
  });

  it('refuses join-admin alike on raw /ws and Socket.IO: same rule, same error, no notices after', async () => {
    const rawNone = await rawClient(t.service.url);
    const rawFan = await rawClient(t.service.url, fan);
    const sioNone = await socketIoClient(t.service.url);
    const sioFan = await socketIoClient(t.service.url, { token: fan });
    const sioAdmin = await socketIoClient(t.service.url, { token: admin });
    clients.push(rawNone, rawFan, sioNone, sioFan, sioAdmin);
    // Socket.IO also takes a token in the event's payload: a customer's is refused there too.
    const sioPayload = await socketIoClient(t.service.url);
    clients.push(sioPayload);

    for (const client of [rawNone, rawFan]) client.send({ action: 'join-admin' });
    for (const client of [sioNone, sioFan, sioAdmin]) client.socket.emit('join-admin');
    sioPayload.socket.emit('join-admin', fan);

    const refusals = await Promise.all(
      [rawNone, rawFan, sioNone, sioFan, sioPayload].map((c) => c.inbox.next((m) => m.type === 'error')),
    );
    // One rule in the core: the very same message on every transport, whatever the token's absence or role.
    expect(new Set(refusals.map((m) => JSON.stringify(m))).size).toBe(1);
    expect(refusals[0]).toMatchObject({ type: 'error', code: 'FORBIDDEN' });

    // A notice reaches the admin (its join has no answer: notices go out until one arrives), none of the refused.
    // `concert-updated`, not `new-reservation`: beyond 3 a second new-reservation notices are summed into a
    // `reservations` summary (issue 19), so a probe of that kind could arrive as a count, not by its id.
    let probes = 0;
    await expect
      .poll(
        () => {
          t.service.services.events.notifyAdmins({
            event: 'concert-updated',
            concertId: concert.id,
            reservationId: `probe-${++probes}`,
          });
          return sioAdmin.inbox.messages.some((m) => m.type === 'admin-notification');
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe(true);
    // One more notice, heard by the admin: the fan-out has handed it to every socket it would reach. Then
    // each refused socket proves it is live (a join, answered on it after anything sent before) and that
    // no notice came before that answer.
    const last = `probe-${++probes}`;
    t.service.services.events.notifyAdmins({
      event: 'concert-updated',
      concertId: concert.id,
      reservationId: last,
    });
    await sioAdmin.inbox.next((m) => m.type === 'admin-notification' && m.reservationId === last);
    for (const client of [rawNone, rawFan]) client.send({ action: 'join-concert', concertId: concert.id });
    for (const client of [sioNone, sioFan, sioPayload]) client.socket.emit('join-concert', concert.id);
    for (const client of [rawNone, rawFan, sioNone, sioFan, sioPayload]) {
      await client.inbox.next((m) => m.type === 'concert-update' && m.concertId === concert.id);
      expect(client.inbox.messages.filter((m) => m.type === 'admin-notification')).toEqual([]);
    }
  });

  it('answers a Socket.IO join-admin whose token cannot be verified now with SERVICE_UNAVAILABLE, and keeps serving', async () => {
    const sio = await socketIoClient(t.service.url, { token: admin });
    clients.push(sio);
    const verify = vi
      .spyOn(t.service.services.tokens, 'verify')
      .mockRejectedValueOnce(new Error('the database is away'));
    try {
      sio.socket.emit('join-admin');
      expect(await sio.inbox.next((m) => m.type === 'error')).toMatchObject({
        type: 'error',
        code: 'SERVICE_UNAVAILABLE',
      });
    } finally {
      verify.mockRestore();
    }
    // The process is up and the same socket may try again.
    sio.socket.emit('join-concert', concert.id);
    expect(await sio.inbox.next((m) => m.type === 'concert-update')).toMatchObject({ concertId: concert.id });
  });
});

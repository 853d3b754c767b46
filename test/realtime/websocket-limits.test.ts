import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Concert } from '../../functions/core/model';
import { type RawClient, rawClient, type SocketIoClient, socketIoClient } from '../support/realtime-clients';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { startTestService, type TestService } from '../support/test-service';

const PER_ADDRESS = 8;

const closed = (client: RawClient) =>
  new Promise<number>((resolve) => {
    if (client.socket.readyState === client.socket.CLOSED) resolve(-1);
    client.socket.once('close', (code) => resolve(code));
  });

/** Issue 15: every action a client can repeat has a bounded cost, on both transports (invariant 7). */
describe('bounded cost per socket', () => {
  const prefix = testRedisPrefix();
  let t: TestService;
  let admin: string;
  let concert: Concert;
  const open: Array<RawClient | SocketIoClient> = [];

  beforeAll(async () => {
    t = await startTestService({
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REALTIME_COALESCE_MS: '50',
      WS_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
    });
    admin = await t.api.adminToken();
    concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 100 }]);
  });
  afterAll(async () => {
    for (const client of open) client.close();
    await t?.close();
    await dropRedisPrefix(prefix);
  });
  const track = <C extends RawClient | SocketIoClient>(client: C): C => {
    open.push(client);
    return client;
  };
  const release = (client: RawClient | SocketIoClient) => {
    client.close();
    open.splice(open.indexOf(client), 1);
  };

  it('answers actions named after Object.prototype members with an error, on both transports', async () => {
    const raw = track(await rawClient(t.service.url));
    const names = ['toString', 'hasOwnProperty', '__proto__', 'constructor', 'valueOf', 'isPrototypeOf'];
    for (const action of names) {
      raw.inbox.clear();
      raw.send({ action, concertId: concert.id });
      expect(await raw.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    raw.send({ action: 'join-concert', concertId: concert.id });
    await raw.inbox.next((m) => m.type === 'concert-update');

    const sio = track(await socketIoClient(t.service.url));
    for (const event of names.filter((name) => name !== '__proto__')) {
      sio.inbox.clear();
      sio.socket.emit(event, concert.id);
      expect(await sio.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    sio.socket.emit('join-concert', concert.id);
    await sio.inbox.next((m) => m.type === 'concert-update');
    release(raw);
    release(sio);
  });

  it('closes a raw socket that floods join-concert, with an error first, and reads the database at most a few times', async () => {
    const reads = vi.spyOn(t.service.services.storedConcerts, 'get');
    const fan = await t.api.register('flood-buyer@example.test');
    try {
      const flooder = track(await rawClient(t.service.url));
      const frame = JSON.stringify({ action: 'join-concert', concertId: concert.id });
      const ended = closed(flooder);
      for (let i = 0; i < 8_000; i++) flooder.socket.send(frame);
      expect(await flooder.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'RATE_LIMITED' });
      expect(await ended).toBe(1008);
      expect(reads.mock.calls.length).toBeLessThan(10);
      // Buyers on this replica are served meanwhile.
      const sale = await t.api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
      });
      expect(sale.status).toBe(201);
      release(flooder);
    } finally {
      reads.mockRestore();
    }
  });

  it('disconnects a socket.io client that floods join-concert, with an error first', async () => {
    const reads = vi.spyOn(t.service.services.storedConcerts, 'get');
    try {
      const flooder = track(await socketIoClient(t.service.url));
      const gone = new Promise((resolve) => flooder.socket.once('disconnect', resolve));
      for (let i = 0; i < 8_000; i++) flooder.socket.emit('join-concert', concert.id);
      expect(await flooder.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'RATE_LIMITED' });
      await gone;
      expect(reads.mock.calls.length).toBeLessThan(10);
      release(flooder);
    } finally {
      reads.mockRestore();
    }
  });

  it('closes a raw socket that sends a frame over the size limit', async () => {
    const client = track(await rawClient(t.service.url));
    const ended = closed(client);
    client.send({ action: 'join-concert', concertId: concert.id, padding: 'x'.repeat(20_000) });
    expect(await ended).toBe(1009);
    release(client);
  });

  it('caps how many concerts one connection watches', async () => {
    const concerts = await Promise.all(
      Array.from({ length: 51 }, () =>
        t.api.createConcert(admin, [{ name: 'GA', priceCents: 1, capacity: 1 }]),
      ),
    );
    const raw = track(await rawClient(t.service.url));
    for (const [i, c] of concerts.entries()) {
      raw.send({ action: 'join-concert', concertId: c.id });
      if (i < 50) await raw.inbox.next((m) => m.type === 'concert-update' && m.concertId === c.id);
    }
    expect(await raw.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    const sio = track(await socketIoClient(t.service.url));
    for (const [i, c] of concerts.entries()) {
      sio.socket.emit('join-concert', c.id);
      if (i < 50) await sio.inbox.next((m) => m.type === 'concert-update' && m.concertId === c.id);
    }
    expect(await sio.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    release(raw);
    release(sio);

    // Review finding: joins sent in one burst all passed the cap before any joined its room.
    const burst = track(await socketIoClient(t.service.url));
    for (const c of concerts) burst.socket.emit('join-concert', c.id);
    await burst.inbox.next((m) => m.type === 'error' && m.code === 'LIMIT_EXCEEDED');
    await expect
      .poll(
        () =>
          new Set(burst.inbox.messages.filter((m) => m.type === 'concert-update').map((m) => m.concertId))
            .size,
      )
      .toBe(50);
    release(burst);
  });

  it('charges an escaped join-concert (join\\u002dconcert) to the join budget, as dispatch reads it', async () => {
    const sneaky = track(await rawClient(t.service.url));
    const ended = closed(sneaky);
    // 110 frames stay inside the frame burst (120) but not the join burst (100).
    const frame = `{"action":"join\\u002dconcert","concertId":"${concert.id}"}`;
    for (let i = 0; i < 110; i++) sneaky.socket.send(frame);
    expect(await sneaky.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await ended).toBe(1008);
    release(sneaky);
  });

  it(`refuses the connection past ${PER_ADDRESS} per address, counting both transports, with an error`, async () => {
    const mine: Array<RawClient | SocketIoClient> = [];
    for (let i = 0; i < PER_ADDRESS / 2; i++) mine.push(track(await rawClient(t.service.url)));
    for (let i = 0; i < PER_ADDRESS / 2; i++) mine.push(track(await socketIoClient(t.service.url)));
    const extra = track(await rawClient(t.service.url));
    const ended = closed(extra);
    expect(await extra.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await ended).toBe(1008);
    await expect(socketIoClient(t.service.url)).rejects.toThrow(/connections/);
    release(extra);
    // A closed connection frees its place.
    const first = mine[0] as RawClient;
    const firstClosed = closed(first);
    release(first);
    await firstClosed;
    await expect
      .poll(async () => {
        const again = await rawClient(t.service.url);
        const answer = await new Promise<string>((resolve) => {
          again.socket.once('close', () => resolve('closed'));
          again.send({ action: 'join-concert', concertId: concert.id });
          again.inbox
            .next((m) => m.type === 'concert-update')
            .then(
              () => resolve('served'),
              () => undefined,
            );
        });
        if (answer === 'served') track(again);
        return answer;
      })
      .toBe('served');
    for (const client of mine.slice(1)) release(client);
  });

  it('ends raw and socket.io admin feeds with an error once the admin token no longer verifies', async () => {
    const rawAdmin = track(await rawClient(t.service.url, admin));
    const sioAdmin = track(await socketIoClient(t.service.url, { token: admin }));
    rawAdmin.send({ action: 'join-admin' });
    sioAdmin.socket.emit('join-admin');
    const fan = await t.api.register('feed-fan@example.test');
    const sell = () =>
      t.api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
      });
    await expect
      .poll(async () => {
        await sell();
        return [rawAdmin, sioAdmin].every((c) =>
          c.inbox.messages.some((m) => m.type === 'admin-notification'),
        );
      })
      .toBe(true);

    // The admin's role is withdrawn (or the token runs out): verification of that token now fails.
    const tokens = t.service.services.tokens;
    const verify = tokens.verify.bind(tokens);
    const revoked = vi
      .spyOn(tokens, 'verify')
      .mockImplementation(async (token) => (token === admin ? null : verify(token)));
    try {
      const rawEnded = closed(rawAdmin);
      expect(await rawAdmin.inbox.next((m) => m.type === 'error', 15_000)).toMatchObject({
        code: 'UNAUTHORIZED',
      });
      expect(await rawEnded).toBe(1008);
      expect(await sioAdmin.inbox.next((m) => m.type === 'error', 15_000)).toMatchObject({
        code: 'UNAUTHORIZED',
      });
      sioAdmin.inbox.clear();
      const watcher = track(await rawClient(t.service.url));
      watcher.send({ action: 'join-concert', concertId: concert.id });
      const before = await watcher.inbox.next((m) => m.type === 'concert-update');
      await sell();
      // The sale's update reached this replica's sockets; its notice went out just before it.
      await watcher.inbox.next((m) => m.type === 'concert-update' && m.version > before.version);
      // The ended feed's socket is still open: a join answered on it proves nothing came before the answer.
      sioAdmin.socket.emit('join-concert', concert.id);
      await sioAdmin.inbox.next((m) => m.type === 'concert-update' && m.concertId === concert.id);
      expect(sioAdmin.inbox.messages.filter((m) => m.type === 'admin-notification')).toEqual([]);
      release(watcher);
    } finally {
      revoked.mockRestore();
    }
    release(rawAdmin);
    release(sioAdmin);
  });
});

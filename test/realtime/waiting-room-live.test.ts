import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  Inbox,
  type RawClient,
  rawClient,
  type SocketIoClient,
  socketIoClient,
} from '../support/realtime-clients';
import { createCustomers, startTestService, type TestService } from '../support/test-service';

describe('queue-position over raw WebSocket and Socket.IO (issue 20)', () => {
  let t: TestService;
  let admin: string;
  let fans: string[];
  const clients: Array<RawClient | SocketIoClient> = [];

  beforeAll(async () => {
    t = await startTestService({ TICKETS_PER_USER_LIMIT: '0', REALTIME_COALESCE_MS: '20' });
    admin = await t.api.adminToken();
    fans = await createCustomers(t.service, 4);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await t?.close();
  });

  const queued = async (capacity: number) =>
    (
      await t.api.request('POST', '/api/concerts', {
        token: admin,
        body: {
          title: 'Live queue',
          artist: 'A',
          venue: 'V',
          startsAt: new Date(Date.now() + 86_400_000).toISOString(),
          waitingRoom: { enabled: true, admissionPerMinute: 60, paused: true },
          tiers: [{ name: 'GA', priceCents: 100, capacity, maxPerOrder: 4 }],
        },
      })
    ).body.concert as { id: string; tiers: Array<{ id: string }> };

  const socketIoFollower = async (token: string) => {
    const client = await socketIoClient(t.service.url, { token });
    client.socket.on('queue-position', (message) => client.inbox.push(message));
    clients.push(client);
    return client;
  };

  it('answers join-queue at once, then on every change of status; refuses an anonymous connection', async () => {
    const concert = await queued(2);
    const [a = '', b = '', c = ''] = fans;
    const raw = await rawClient(t.service.url, a);
    clients.push(raw);
    raw.send({ action: 'join-queue', concertId: concert.id });
    expect(await raw.inbox.next((m) => m.type === 'queue-position')).toEqual({
      type: 'queue-position',
      concertId: concert.id,
      status: 'waiting',
      position: 1,
      ahead: 0,
    });
    const sio = await socketIoFollower(b);
    sio.socket.emit('join-queue', concert.id);
    expect(await sio.inbox.next((m) => m.type === 'queue-position')).toMatchObject({
      concertId: concert.id,
      status: 'waiting',
      position: 2,
    });
    const third = await rawClient(t.service.url, c);
    clients.push(third);
    third.send({ action: 'join-queue', concertId: concert.id });
    await third.inbox.next((m) => m.type === 'queue-position' && m.position === 3);
    const anonymous = await rawClient(t.service.url);
    clients.push(anonymous);
    anonymous.send({ action: 'join-queue', concertId: concert.id });
    expect(await anonymous.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'UNAUTHORIZED' });

    // Resume at 60 a minute: the first is admitted within a second or so, told at once, with its token.
    await t.api.request('PATCH', `/api/admin/concerts/${concert.id}/queue`, {
      token: admin,
      body: { paused: false },
    });
    const admitted = await raw.inbox.next((m) => m.type === 'queue-position' && m.status === 'admitted');
    expect(admitted.admission).toEqual({ token: expect.any(String), expiresAt: expect.any(String) });
    // It buys every ticket: whoever still waits hears sold-out at once (the concert change, not the second tick).
    await t.api.request('PATCH', `/api/admin/concerts/${concert.id}/queue`, {
      token: admin,
      body: { paused: true },
    });
    const hold = await t.api.request('POST', '/api/reservations', {
      token: a,
      body: {
        concertId: concert.id,
        tierId: concert.tiers[0]?.id,
        quantity: 2,
        admissionToken: admitted.admission.token,
      },
    });
    expect(hold.status).toBe(201);
    const soldOutAt = Date.now();
    await third.inbox.next((m) => m.type === 'queue-position' && m.status === 'sold-out');
    expect(Date.now() - soldOutAt).toBeLessThan(1_500);

    // At most one message a second per follower while the status stays the same.
    const same = third.inbox.messages.filter((m) => m.type === 'queue-position');
    for (let i = 1; i < same.length; i++) expect(same[i]).not.toEqual(same[i - 1]);
  });

  it('_attack F7_: a bad join-queue argument is named as join-queue; a non-UUID id is 404 on both transports and HTTP', async () => {
    const [fan = ''] = fans;
    const sio = await socketIoFollower(fan);
    sio.socket.emit('join-queue', 42);
    const wrongType = await sio.inbox.next((m) => m.type === 'error');
    expect(wrongType).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(wrongType)).toContain('join-queue takes a concert id');
    sio.inbox.clear();
    sio.socket.emit('join-queue', 'not-a-uuid');
    expect(await sio.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'NOT_FOUND' });
    const raw = await rawClient(t.service.url, fan);
    clients.push(raw);
    raw.send({ action: 'join-queue', concertId: 'not-a-uuid' });
    expect(await raw.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'NOT_FOUND' });
    const http = await t.api.request('POST', '/api/concerts/not-a-uuid/queue', { token: fan });
    expect(http.status).toBe(404);
  });

  it('review: turning the room off sends raw WebSocket and Socket.IO followers a last queue-position (waitingRoom off)', async () => {
    const concert = await queued(5);
    const [a = '', b = ''] = fans.slice(2);
    const raw = await rawClient(t.service.url, a);
    clients.push(raw);
    raw.send({ action: 'join-queue', concertId: concert.id });
    await raw.inbox.next((m) => m.type === 'queue-position' && m.status === 'waiting');
    const sio = await socketIoFollower(b);
    sio.socket.emit('join-queue', concert.id);
    await sio.inbox.next((m) => m.type === 'queue-position' && m.status === 'waiting');
    const off = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { waitingRoom: { enabled: false } },
    });
    expect(off.status).toBe(200);
    for (const client of [raw, sio]) {
      const last = await client.inbox.next((m) => m.type === 'queue-position' && m.waitingRoom === 'off');
      expect(last).toEqual({
        type: 'queue-position',
        concertId: concert.id,
        status: 'admitted',
        waitingRoom: 'off',
      });
    }
  });

  it('sends each follower at most one queue-position a second while its status stays the same', async () => {
    const concert = await queued(100);
    const followers = await Promise.all(fans.map((fan) => rawClient(t.service.url, fan)));
    clients.push(...followers);
    const times = new Map<RawClient, number[]>();
    for (const follower of followers) {
      times.set(follower, []);
      follower.socket.on('message', () => times.get(follower)?.push(Date.now()));
      follower.send({ action: 'join-queue', concertId: concert.id });
      await follower.inbox.next((m) => m.type === 'queue-position');
    }
    // 60 a minute: positions move every second; watch the last in line for a few seconds.
    await t.api.request('PATCH', `/api/admin/concerts/${concert.id}/queue`, {
      token: admin,
      body: { paused: false },
    });
    const last = followers.at(-1) as RawClient;
    await last.inbox.next((m) => m.type === 'queue-position' && m.status === 'admitted', 15_000);
    const waitingMessages = last.inbox.messages.filter(
      (m) => m.type === 'queue-position' && m.status === 'waiting',
    );
    expect(waitingMessages.length).toBeGreaterThanOrEqual(2); // it did hear its place move
    const stamps = times.get(last) ?? [];
    // Every gap between two waiting updates is at least about a second.
    const waitingStamps = stamps.slice(0, waitingMessages.length);
    for (let i = 1; i < waitingStamps.length; i++) {
      expect((waitingStamps[i] ?? 0) - (waitingStamps[i - 1] ?? 0)).toBeGreaterThanOrEqual(900);
    }
  });
});

describe('join-queue over raw WebSocket counts against QUEUE_JOINS_PER_ADDRESS_PER_MINUTE (attack F1)', () => {
  let t: TestService;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    t = await startTestService({ QUEUE_JOINS_PER_ADDRESS_PER_MINUTE: '2', TRUST_PROXY: 'loopback' });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await t?.close();
  });

  /** A raw `/ws` client behind the (trusted, loopback) proxy that says it forwards for `address`. */
  const behindProxy = async (token: string, address: string) => {
    const url = `${t.service.url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`;
    const socket = new WebSocket(url, { headers: { 'x-forwarded-for': address } });
    sockets.push(socket);
    const inbox = new Inbox();
    socket.on('message', (data) => inbox.push(JSON.parse(data.toString())));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return { socket, inbox, send: (message: unknown) => socket.send(JSON.stringify(message)) };
  };

  it('limits new places per client address (X-Forwarded-For under TRUST_PROXY), as POST …/queue does', async () => {
    const admin = await t.api.adminToken();
    const fans = await createCustomers(t.service, 4);
    const created = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'Q',
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        waitingRoom: { enabled: true, admissionPerMinute: 60, paused: true },
        tiers: [{ name: 'GA', priceCents: 100, capacity: 5 }],
      },
    });
    const concertId = created.body.concert.id as string;
    const answers = [];
    for (const [index, fan] of fans.entries()) {
      const client = await behindProxy(fan, index < 3 ? '203.0.113.10' : '203.0.113.11');
      client.send({ action: 'join-queue', concertId });
      answers.push(await client.inbox.next((m) => m.type === 'queue-position' || m.type === 'error'));
    }
    expect(answers.map((answer) => answer.code ?? answer.status)).toEqual([
      'waiting',
      'waiting',
      'RATE_LIMITED',
      'waiting', // another address: its own budget
    ]);
    expect(
      (await t.api.request('GET', `/api/admin/concerts/${concertId}/queue`, { token: admin })).body,
    ).toMatchObject({
      waiting: 3,
    });
  });
});

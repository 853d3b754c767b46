import type { Socket as NetSocket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Concert } from '../../functions/core/model';
import { type ConcertUpdateMessage, concertUpdate } from '../../functions/core/realtime';
import { type RawClient, rawClient, type SocketIoClient, socketIoClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

/** Large updates, so a client that stops reading fills the kernel's buffers within a short burst. */
const PADDING = 'x'.repeat(64 * 1024);
const SLOW_BURST = 400; // × 64 KB ≈ 26 MB: well past loopback's socket buffers

/** The TCP socket under a ws client (private in ws: the test pauses it to play a client that stops reading). */
const tcpOf = (client: RawClient) => (client.socket as unknown as { _socket: NetSocket })._socket;

/**
 * Issue 19, fan-out at 10,000 watchers: every update is serialised and framed once for all raw sockets
 * and broadcast once to a Socket.IO room; a socket whose send buffer is full is skipped and later gets
 * the newest update (coalesced), instead of the shim queueing every update for it without bound.
 */
describe('live fan-out: one frame for all, slow watchers coalesced to the newest', () => {
  let t: TestService;
  let concert: Concert;
  let base: ConcertUpdateMessage;
  let version: number;
  const clients: Array<RawClient | SocketIoClient> = [];

  const publish = async (extra: Record<string, unknown> = {}) => {
    version++;
    await t.service.services.realtime.bus.publish({ ...base, version, ...extra } as ConcertUpdateMessage);
  };
  const versions = (client: RawClient | SocketIoClient) =>
    client.inbox.messages.filter((m) => m.type === 'concert-update').map((m) => m.version as number);

  beforeAll(async () => {
    t = await startTestService();
    const admin = await t.api.adminToken();
    concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 50 }]);
    const stored = await t.service.services.storedConcerts.get(concert.id);
    if (!stored) throw new Error('the concert is gone');
    base = concertUpdate(stored);
    version = base.version;
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await t?.close();
  });

  const joinedRaw = async () => {
    const client = await rawClient(t.service.url);
    clients.push(client);
    client.send({ action: 'join-concert', concertId: concert.id });
    await client.inbox.next((m) => m.type === 'concert-update');
    return client;
  };
  const joinedSocketIo = async () => {
    const client = await socketIoClient(t.service.url, undefined, { transports: ['websocket'] });
    clients.push(client);
    client.socket.emit('join-concert', concert.id);
    await client.inbox.next((m) => m.type === 'concert-update');
    return client;
  };

  it('gives every raw and Socket.IO watcher every version of a burst, in order, the same snapshot each', async () => {
    const watchers = [
      ...(await Promise.all(Array.from({ length: 15 }, joinedRaw))),
      ...(await Promise.all(Array.from({ length: 15 }, joinedSocketIo))),
    ];
    const from = version;
    for (let i = 0; i < 30; i++) await publish();
    for (const watcher of watchers)
      await watcher.inbox.next((m) => m.type === 'concert-update' && m.version === version);
    const expected = Array.from({ length: 30 }, (_, i) => from + i + 1);
    for (const watcher of watchers) expect(versions(watcher).filter((v) => v > from)).toEqual(expected);
    const newest = watchers.map((w) => w.inbox.messages.findLast((m) => m.type === 'concert-update'));
    for (const message of newest) expect(message).toEqual({ ...base, version });
  });

  it('coalesces a raw watcher that stops reading: the shim holds a bounded backlog, and the watcher then gets the newest, never an older after a newer', async () => {
    const fast = await joinedRaw();
    const slow = await joinedRaw();
    tcpOf(slow).pause();
    const from = version;
    for (let i = 0; i < SLOW_BURST; i++) await publish({ padding: PADDING });
    await fast.inbox.next((m) => m.type === 'concert-update' && m.version === version, 30_000);
    // Without coalescing every frame the kernel would not take waits in the shim's memory (≈ 15+ MB).
    const pressure = t.service.fanout.backpressure();
    expect(pressure.largestRawBacklogBytes).toBeLessThan(1024 * 1024);
    expect(pressure.coalesced).toBeGreaterThan(0);

    tcpOf(slow).resume();
    await slow.inbox.next((m) => m.type === 'concert-update' && m.version === version, 30_000);
    const seen = versions(slow).filter((v) => v > from);
    expect(seen.length).toBeLessThan(SLOW_BURST);
    // Both (the fast one reads in this busy process too, so it may have been coalesced as well): only
    // ever newer versions, the newest last.
    for (const got of [seen, versions(fast).filter((v) => v > from)]) {
      for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThan(got[i - 1] ?? 0);
      expect(got.at(-1)).toBe(version);
    }
  });

  it('coalesces a Socket.IO watcher that stops reading: a bounded queue in Engine.IO, then the newest, never an older after a newer', async () => {
    const slow = await joinedSocketIo();
    // The TCP socket under socket.io-client's websocket transport (private members, for this test only).
    const engine = (slow.socket.io as unknown as { engine: { transport: { ws: RawClient['socket'] } } })
      .engine;
    const tcp = (engine.transport.ws as unknown as { _socket: NetSocket })._socket;
    tcp.pause();
    const from = version;
    // One update per turn of the event loop, as they come from Redis (Engine.IO flushes between turns).
    for (let i = 0; i < SLOW_BURST; i++) {
      await publish({ padding: PADDING });
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Let the fan-out run what it was handed (the in-process bus delivers in microtasks).
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Without coalescing every update the kernel would not take waits in the shim's memory (≈ 15+ MB).
    expect(t.service.fanout.backpressure(PADDING.length).largestSocketIoBacklogBytes).toBeLessThan(
      2 * 1024 * 1024,
    );

    tcp.resume();
    await slow.inbox.next((m) => m.type === 'concert-update' && m.version === version, 30_000);
    const seen = versions(slow).filter((v) => v > from);
    expect(seen.length).toBeLessThan(SLOW_BURST);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] ?? 0);
    expect(seen.at(-1)).toBe(version);
  });
});

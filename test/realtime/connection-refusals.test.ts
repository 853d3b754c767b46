import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Concert } from '../../functions/core/model';
import { capturingLogger } from '../support/log-capture';
import { type RawClient, rawClient, type SocketIoClient, socketIoClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

const PER_ADDRESS = 2;

const closed = (client: RawClient) =>
  new Promise<number>((resolve) => {
    if (client.socket.readyState === client.socket.CLOSED) resolve(-1);
    client.socket.once('close', (code) => resolve(code));
  });

/** Issue 15 item 7: a socket closed or refused for going over its budgets is logged and counted. */
describe('every refused or closed live connection is logged (address, reason, no token) and counted', () => {
  const logs = capturingLogger('info');
  let t: TestService;
  let admin: string;
  let concert: Concert;

  beforeAll(async () => {
    t = await startTestService(
      { REALTIME_COALESCE_MS: '50', WS_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS), LOG_LEVEL: 'info' },
      { logger: logs.logger },
    );
    admin = await t.api.adminToken();
    concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 100 }]);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The counter as GET /metrics shows it (0 when the series does not exist yet). */
  const refusedMetric = async (reason: string, transport: string): Promise<number> => {
    const text = await (await fetch(`${t.service.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('realtime_connections_refused_total{') &&
          l.includes(`reason="${reason}"`) &&
          l.includes(`transport="${transport}"`),
      );
    return Number(line?.split(' ').at(-1) ?? 0);
  };
  const refusalLines = (reason: string, transport: string) =>
    logs
      .records<{ msg: string; reason?: string; transport?: string }>()
      .filter((l) => l.msg === 'live connection refused' && l.reason === reason && l.transport === transport);
  /** Closes clients and waits until their places per address are free again. */
  const closeAll = async (clients: Array<RawClient | SocketIoClient>) => {
    for (const client of clients) {
      if ('send' in client) {
        const done = closed(client);
        client.close();
        await done;
      } else {
        client.close();
      }
    }
  };

  it('raw WebSocket over the per-address cap: one line, one count, no token in the line', async () => {
    const before = await refusedMetric('too-many-connections', 'ws');
    const mine = [await rawClient(t.service.url), await rawClient(t.service.url)];
    const extra = await rawClient(t.service.url, admin);
    expect(await closed(extra)).toBe(1008);

    await expect.poll(() => refusedMetric('too-many-connections', 'ws')).toBe(before + 1);
    const [line] = refusalLines('too-many-connections', 'ws');
    expect(line).toMatchObject({ address: expect.stringContaining('127.0.0.1') });
    expect(logs.lines.filter((l) => l.includes(admin))).toEqual([]);

    // Socket.IO meets the same cap (both transports count together).
    await expect(socketIoClient(t.service.url)).rejects.toThrow(/connections/);
    await expect.poll(() => refusedMetric('too-many-connections', 'socket.io')).toBe(1);
    await closeAll(mine);
  });

  it('a raw socket flooding join-concert is closed as rate-limited, logged and counted once', async () => {
    const before = await refusedMetric('rate-limited', 'ws');
    const flooder = await rawClient(t.service.url);
    const ended = closed(flooder);
    const frame = JSON.stringify({ action: 'join-concert', concertId: concert.id });
    for (let i = 0; i < 2_000; i++) flooder.socket.send(frame);
    expect(await ended).toBe(1008);
    await expect.poll(() => refusedMetric('rate-limited', 'ws')).toBe(before + 1);
    expect(refusalLines('rate-limited', 'ws')).toHaveLength(1);
  });

  it('a socket.io client flooding join-concert is disconnected as rate-limited, logged and counted once', async () => {
    const flooder = await socketIoClient(t.service.url);
    const gone = new Promise((resolve) => flooder.socket.once('disconnect', resolve));
    for (let i = 0; i < 2_000; i++) flooder.socket.emit('join-concert', concert.id);
    await gone;
    await expect.poll(() => refusedMetric('rate-limited', 'socket.io')).toBe(1);
    expect(refusalLines('rate-limited', 'socket.io')).toHaveLength(1);
    flooder.close();
  });

  it('a raw frame over 16 KB (closed with 1009) is logged and counted as frame-too-large', async () => {
    const client = await rawClient(t.service.url);
    const ended = closed(client);
    client.send({ action: 'join-concert', concertId: concert.id, padding: 'x'.repeat(20_000) });
    expect(await ended).toBe(1009);
    await expect.poll(() => refusedMetric('frame-too-large', 'ws')).toBe(1);
    expect(refusalLines('frame-too-large', 'ws')).toHaveLength(1);
  });

  it('a socket.io packet over 4 KB is logged and counted as frame-too-large', async () => {
    const client = await socketIoClient(t.service.url, undefined, { transports: ['websocket'] });
    const gone = new Promise((resolve) => client.socket.once('disconnect', resolve));
    client.socket.emit('join-concert', 'x'.repeat(10_000));
    await gone;
    await expect.poll(() => refusedMetric('frame-too-large', 'socket.io')).toBe(1);
    client.close();
  });

  it('a raw $connect with a bad token is logged and counted as unauthorized (the token is not logged)', async () => {
    const forged = 'not.a-valid.token-value';
    const client = await rawClient(t.service.url, forged).catch(() => undefined);
    if (client) await closed(client);
    await expect.poll(() => refusedMetric('unauthorized', 'ws')).toBe(1);
    expect(logs.lines.filter((l) => l.includes(forged))).toEqual([]);
  });
});

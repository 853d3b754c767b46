import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Inbox, socketIoClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

/**
 * Issue 16: the admin token reaches both live channels the ways a client can send it. Raw `/ws`: the
 * `?token=` query (browsers) or an `Authorization: Bearer` header at the upgrade. Socket.IO: `auth:
 * {token}` or the `?token=` query. Two tokens that disagree, or a repeated parameter, are refused.
 */
describe('the admin token on raw /ws and Socket.IO: query, header, auth', () => {
  let t: TestService;
  let admin: string;
  let fan: string;

  beforeAll(async () => {
    t = await startTestService({ REALTIME_COALESCE_MS: '50' });
    admin = await t.api.adminToken();
    fan = await t.api.register('token-intake-fan@example.test');
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A raw client with a query string and headers of the test's choosing; resolves once open or closed. */
  const raw = async (query: string, headers: Record<string, string> = {}) => {
    const socket = new WebSocket(`${t.service.url.replace(/^http/, 'ws')}/ws${query}`, { headers });
    const inbox = new Inbox();
    socket.on('message', (data) => inbox.push(JSON.parse(data.toString())));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      socket.once('open', () => resolve());
      socket.once('close', () => resolve());
    });
    return { socket, inbox, closed, send: (m: unknown) => socket.send(JSON.stringify(m)) };
  };

  /** Whether admin notices reach `inbox`: creates concerts until one is announced to it. */
  const getsAdminNotices = async (inbox: Inbox) => {
    await expect
      .poll(
        async () => {
          await t.api.createConcert(admin, [{ name: 'Probe', priceCents: 100, capacity: 1 }]);
          return inbox.messages.some((m) => m.type === 'admin-notification');
        },
        { timeout: 10_000 },
      )
      .toBe(true);
  };

  it('raw /ws takes the admin token from an Authorization: Bearer header at the upgrade', async () => {
    const client = await raw('', { Authorization: `Bearer ${admin}` });
    try {
      client.send({ action: 'join-admin' });
      await getsAdminNotices(client.inbox);
      expect(client.inbox.messages.filter((m) => m.type === 'error')).toEqual([]);
    } finally {
      client.socket.close();
    }
  });

  it('raw /ws still takes ?token=, and ignores an Authorization scheme that is not Bearer', async () => {
    const client = await raw(`?token=${encodeURIComponent(admin)}`, {
      Authorization: 'Basic dXNlcjpwYXNz',
    });
    try {
      client.send({ action: 'join-admin' });
      await getsAdminNotices(client.inbox);
    } finally {
      client.socket.close();
    }
  });

  it('raw /ws refuses a bad Bearer token, two tokens that disagree, and a repeated token parameter', async () => {
    for (const [query, headers] of [
      ['', { Authorization: 'Bearer not-a-token' }],
      [`?token=${encodeURIComponent(fan)}`, { Authorization: `Bearer ${admin}` }],
      [`?token=not-a-token&token=${encodeURIComponent(admin)}`, {}],
      ['', { Authorization: 'Bearer' }],
    ] as Array<[string, Record<string, string>]>) {
      const client = await raw(query, headers);
      expect(await client.closed, `${query} ${JSON.stringify(headers)}`).toBe(1008);
    }
  });

  it('Socket.IO takes the admin token from the ?token= query as well as auth', async () => {
    const sio = await socketIoClient(t.service.url, undefined, { query: { token: admin } });
    try {
      sio.socket.emit('join-admin');
      await getsAdminNotices(sio.inbox);
      expect(sio.inbox.messages.filter((m) => m.type === 'error')).toEqual([]);
    } finally {
      sio.close();
    }
  });

  it('Socket.IO refuses join-admin when auth.token and the query carry different tokens', async () => {
    const sio = await socketIoClient(t.service.url, { token: admin }, { query: { token: fan } });
    try {
      sio.socket.emit('join-admin');
      expect(await sio.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'UNAUTHORIZED' });
    } finally {
      sio.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayReport } from '../../functions/core/relay-availability';
import { handler as relay } from '../../functions/handlers/relay';
import { fakeLambdaContext } from '../support/lambda-context';
import {
  type ManagementEndpointStandIn,
  startManagementEndpointStandIn,
} from '../support/management-endpoint-stand-in';
import { rawClient, socketIoClient } from '../support/realtime-clients';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { startTestService, type TestService } from '../support/test-service';

const runRelay = (runForMs = 400) => relay({ runForMs }, fakeLambdaContext()) as Promise<RelayReport>;

describe('watchers and admins learn that a concert was cancelled (issue 14 item 3), shim transports', () => {
  let t: TestService;
  let admin: string;

  beforeAll(async () => {
    t = await startTestService({ REALTIME_COALESCE_MS: '0' });
    admin = await t.api.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('raw WebSocket and Socket.IO watchers get a concert-update with status cancelled; admins concert-cancelled', async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
    const raw = await rawClient(t.service.url);
    const rawAdmin = await rawClient(t.service.url, admin);
    const sio = await socketIoClient(t.service.url, { token: admin });
    try {
      raw.send({ action: 'join-concert', concertId: concert.id });
      rawAdmin.send({ action: 'join-admin' });
      sio.socket.emit('join-concert', concert.id);
      sio.socket.emit('join-admin');
      const snapshot = await raw.inbox.next((m) => m.type === 'concert-update');
      expect(snapshot.status).toBe('on-sale');
      expect((await sio.inbox.next((m) => m.type === 'concert-update')).status).toBe('on-sale');
      await expect.poll(async () => (await t.service.services.realtime.registry.admins()).length).toBe(1);
      // Socket.IO sends no acknowledgement of join-admin: wait until an admin notice reaches it.
      await expect
        .poll(async () => {
          await t.api.createConcert(admin, [{ name: 'Probe', priceCents: 100, capacity: 1 }]);
          return sio.inbox.messages.some((m) => m.event === 'concert-created');
        })
        .toBe(true);

      const patched = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
        token: admin,
        body: { status: 'cancelled' },
      });
      expect(patched.status).toBe(200);

      for (const inbox of [raw.inbox, sio.inbox]) {
        const update = await inbox.next(
          (m) => m.type === 'concert-update' && m.concertId === concert.id && m.version > snapshot.version,
        );
        expect(update).toMatchObject({ status: 'cancelled', availableTickets: 5 });
      }
      for (const inbox of [rawAdmin.inbox, sio.inbox]) {
        await inbox.next(
          (m) =>
            m.type === 'admin-notification' && m.event === 'concert-cancelled' && m.concertId === concert.id,
        );
        // concert-updated still goes out (read caches and older admin pages rely on it).
        await inbox.next(
          (m) =>
            m.type === 'admin-notification' && m.event === 'concert-updated' && m.concertId === concert.id,
        );
      }

      // A watcher joining afterwards learns it from the snapshot.
      const late = await rawClient(t.service.url);
      try {
        late.send({ action: 'join-concert', concertId: concert.id });
        expect((await late.inbox.next((m) => m.type === 'concert-update')).status).toBe('cancelled');
      } finally {
        late.close();
      }

      // A second PATCH to cancelled changes nothing and announces no second cancellation.
      rawAdmin.inbox.clear();
      await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
        token: admin,
        body: { status: 'cancelled' },
      });
      await rawAdmin.inbox.next((m) => m.event === 'concert-updated' && m.concertId === concert.id);
      // concert-updated goes out before concert-cancelled would: the control is a notice published after
      // the PATCH's (a new concert's), on the same feed; a second cancellation would have come before it.
      const control = await t.api.createConcert(admin, [{ name: 'Control', priceCents: 100, capacity: 1 }]);
      await rawAdmin.inbox.next((m) => m.event === 'concert-created' && m.concertId === control.id);
      expect(rawAdmin.inbox.messages.filter((m) => m.event === 'concert-cancelled')).toEqual([]);
    } finally {
      raw.close();
      rawAdmin.close();
      sio.close();
    }
  });
});

describe('a pause and a resume reach watchers too (the same kind: a status change with no ticket change)', () => {
  let t: TestService;
  let admin: string;

  beforeAll(async () => {
    t = await startTestService({ REALTIME_COALESCE_MS: '0' });
    admin = await t.api.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sends a newer concert-update with status paused, then on-sale, to raw and Socket.IO watchers', async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
    const raw = await rawClient(t.service.url);
    const sio = await socketIoClient(t.service.url);
    try {
      raw.send({ action: 'join-concert', concertId: concert.id });
      sio.socket.emit('join-concert', concert.id);
      const snapshot = await raw.inbox.next((m) => m.type === 'concert-update');
      await sio.inbox.next((m) => m.type === 'concert-update');

      for (const status of ['paused', 'on-sale'] as const) {
        const patched = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
          token: admin,
          body: { status },
        });
        expect(patched.status).toBe(200);
        for (const inbox of [raw.inbox, sio.inbox]) {
          const update = await inbox.next(
            (m) => m.type === 'concert-update' && m.status === status && m.version > snapshot.version,
          );
          expect(update).toMatchObject({ concertId: concert.id, availableTickets: 5 });
        }
      }
    } finally {
      raw.close();
      sio.close();
    }
  });
});

describe('the AWS relay carries the cancellation (real SDK client, management endpoint stand-in)', () => {
  const prefix = testRedisPrefix();
  let t: TestService;
  let standIn: ManagementEndpointStandIn;

  beforeAll(async () => {
    standIn = await startManagementEndpointStandIn();
    t = await startTestService({
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REALTIME_COALESCE_MS: '0',
      WEBSOCKET_CALLBACK_URL: standIn.url,
    });
    await t.service.fanout.stop(); // only the relay delivers
    await runRelay(200); // start from "now"
  });
  afterAll(async () => {
    await t?.close();
    await standIn?.close();
    await dropRedisPrefix(prefix);
  });

  it('posts the concert-update with status cancelled to watchers and concert-cancelled to admins', async () => {
    const admin = await t.api.adminToken();
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
    const { registry } = t.service.services.realtime;
    await registry.register('relay-watcher', { userId: null, admin: false });
    await registry.watch('relay-watcher', concert.id);
    await registry.register('relay-admin', { userId: null, admin: true });
    await registry.joinAdmins('relay-admin');

    const patched = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { status: 'cancelled' },
    });
    expect(patched.status).toBe(200);
    await runRelay();

    expect(standIn.delivered('relay-watcher').filter((m) => m.type === 'concert-update')).toEqual([
      expect.objectContaining({ concertId: concert.id, status: 'cancelled', availableTickets: 5 }),
    ]);
    expect(standIn.delivered('relay-admin').map((m) => m.event)).toContain('concert-cancelled');
  });
});

import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Concert } from '../../functions/core/model';
import type { RelayReport } from '../../functions/core/relay-availability';
import { handler as relay } from '../../functions/handlers/relay';
import { fakeLambdaContext } from '../support/lambda-context';
import { type RawClient, rawClient } from '../support/realtime-clients';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { startTestService, type TestService } from '../support/test-service';

const runRelay = (runForMs = 400) => relay({ runForMs }, fakeLambdaContext()) as Promise<RelayReport>;

describe('the relay Lambda with a real Redis Stream and the real management API client', () => {
  const prefix = testRedisPrefix();
  let t: TestService;
  let admin: string;
  let fan: string;
  let concert: Concert;
  /** A second concert no test sells: joining it is the control message that proves the socket live. */
  let control: Concert;
  let watcher: RawClient;

  beforeAll(async () => {
    t = await startTestService({
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REALTIME_COALESCE_MS: '0',
      TICKETS_PER_USER_LIMIT: '0',
      HOLDS_PER_USER_LIMIT: '0',
    });
    // Only the relay may deliver here: this replica's own pub/sub fan-out is switched off.
    await t.service.fanout.stop();
    admin = await t.api.adminToken();
    fan = await t.api.register('relay-fan@example.test');
    concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 50 }]);
    control = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 1 }]);
    watcher = await rawClient(t.service.url);
    watcher.send({ action: 'join-concert', concertId: concert.id });
    await watcher.inbox.next((m) => m.type === 'concert-update');
    await runRelay(200); // start from "now": what came before this test is not its business
  });
  afterAll(async () => {
    watcher?.close();
    await t?.close();
    await dropRedisPrefix(prefix);
  });

  const reserve = async (quantity: number) => {
    const response = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity },
    });
    expect(response.status).toBe(201);
    return response;
  };

  /**
   * Proves that nothing reached the watcher so far: its socket is live (a join, sent now, is answered on
   * it), and the answer to that join is all its inbox holds. Empties the inbox after.
   */
  const expectNothingButTheControl = async () => {
    watcher.send({ action: 'join-concert', concertId: control.id });
    const answer = await watcher.inbox.next((m) => m.type === 'concert-update' && m.concertId === control.id);
    expect(watcher.inbox.messages).toEqual([answer]);
    watcher.inbox.clear();
  };

  it('delivers, on its next run, what was published while no relay ran', async () => {
    watcher.inbox.clear();
    for (const quantity of [1, 2, 3]) expect((await reserve(quantity)).status).toBe(201);
    await expectNothingButTheControl();

    const report = await runRelay();

    expect(report.leader).toBe(true);
    expect(report.events).toBeGreaterThanOrEqual(3);
    // One batch: only the newest snapshot of the concert goes out.
    await watcher.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 44);
    expect(watcher.inbox.messages).toEqual([
      expect.objectContaining({ type: 'concert-update', concertId: concert.id, availableTickets: 44 }),
    ]);
  });

  it('resumes from the stored position: a second run re-sends nothing old and loses nothing new', async () => {
    watcher.inbox.clear();
    expect((await runRelay(200)).delivered).toBe(0);
    await reserve(1);
    const report = await runRelay();
    expect(report.delivered).toBeGreaterThanOrEqual(1);
    // The new sale is the control: anything old sent again would have come before it, on the same socket.
    await watcher.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 43);
    expect(watcher.inbox.messages).toEqual([
      expect.objectContaining({ type: 'concert-update', concertId: concert.id, availableTickets: 43 }),
    ]);
  });

  it('removes a connection that answers 410 Gone', async () => {
    const { registry } = t.service.services.realtime;
    await registry.register('gone-connection', { userId: null, admin: false });
    await registry.watch('gone-connection', concert.id);
    await reserve(1);

    const report = await runRelay();

    expect(report.gone).toBe(1);
    expect(await registry.watchers(concert.id)).not.toContain('gone-connection');
    expect(await registry.watchers(concert.id)).toHaveLength(1);
  });

  it('lets only one of two relays started together lead, so nothing is delivered twice', async () => {
    watcher.inbox.clear();
    await reserve(2);
    await reserve(2);
    const reports = await Promise.all([runRelay(), runRelay()]);
    expect(reports.filter((r) => r.leader)).toHaveLength(1);
    const updates = watcher.inbox.messages.filter((m) => m.type === 'concert-update');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ availableTickets: 38 });
  });

  it('delivers admin notifications to admin connections only', async () => {
    const boss = await rawClient(t.service.url, admin);
    try {
      const adminsBefore = (await t.service.services.realtime.registry.admins()).length;
      boss.send({ action: 'join-admin' });
      // The protocol sends no acknowledgement: wait until the registry lists the new admin connection.
      await expect
        .poll(async () => (await t.service.services.realtime.registry.admins()).length)
        .toBeGreaterThan(adminsBefore);
      watcher.inbox.clear();
      const sale = await reserve(1);
      await runRelay();
      expect(await boss.inbox.next((m) => m.type === 'admin-notification')).toMatchObject({
        event: 'new-reservation',
        reservationId: sale.body.reservation.id,
      });
      // The control: the same run's concert update reaches the watcher, and nothing else does.
      const update = await watcher.inbox.next((m) => m.type === 'concert-update');
      expect(watcher.inbox.messages).toEqual([update]);
    } finally {
      boss.close();
    }
  });

  it("delivers a waiting-list offer to the fan's connections only, without the fan's id", async () => {
    const sold = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 1 }]);
    const tierId = sold.tiers[0]?.id;
    const buyer = await t.api.register('relay-buyer@example.test');
    const waiting = await t.api.register('relay-waiting@example.test');
    const held = await t.api.request('POST', '/api/reservations', {
      token: buyer,
      body: { concertId: sold.id, tierId, quantity: 1 },
    });
    await t.api.request('POST', `/api/concerts/${sold.id}/tiers/${tierId}/waitlist`, {
      token: waiting,
      body: { quantity: 1 },
    });
    const fanSocket = await rawClient(t.service.url, waiting);
    const buyerSocket = await rawClient(t.service.url, buyer);
    try {
      for (const socket of [fanSocket, buyerSocket]) {
        socket.send({ action: 'join-concert', concertId: sold.id });
        await socket.inbox.next((m) => m.type === 'concert-update');
      }
      // The buyer's socket watches the main concert too: the control message below comes from there.
      buyerSocket.send({ action: 'join-concert', concertId: concert.id });
      await buyerSocket.inbox.next((m) => m.type === 'concert-update' && m.concertId === concert.id);
      buyerSocket.inbox.clear();
      await t.api.request('DELETE', `/api/reservations/${held.body.reservation.id}`, { token: buyer });
      await runRelay();
      const offer = await fanSocket.inbox.next((m) => m.type === 'waitlist-offer');
      expect(offer).toMatchObject({
        concertId: sold.id,
        tierId,
        reservation: { status: 'held', quantity: 1 },
      });
      expect(offer).not.toHaveProperty('userId');
      // A later run's message reaches the buyer's socket after anything the first run sent it.
      await reserve(1);
      await runRelay();
      await buyerSocket.inbox.next((m) => m.type === 'concert-update' && m.concertId === concert.id);
      expect(buyerSocket.inbox.messages.filter((m) => m.type === 'waitlist-offer')).toEqual([]);
      expect(watcher.inbox.messages.filter((m) => m.type === 'waitlist-offer')).toEqual([]);
    } finally {
      fanSocket.close();
      buyerSocket.close();
    }
  });

  it('logs each delivery with the requests that caused it, and records the lag', async () => {
    const { logger, metrics } = t.service.services;
    const logged = vi.spyOn(logger, 'info');
    const lag = vi.spyOn(metrics, 'deliveryLag');
    try {
      const firstSentAt = Date.now();
      for (const id of ['relay-trace-1', 'relay-trace-2']) {
        await t.api.request('POST', '/api/reservations', {
          token: fan,
          headers: { 'x-request-id': id },
          body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
        });
      }
      const report = await runRelay();
      const ranFor = Date.now() - firstSentAt;
      const deliveries = logged.mock.calls.filter(
        ([fields, message]) =>
          message === 'relay delivered' && (fields as { type?: string }).type === 'concert-update',
      );
      // The batch's two snapshots go out as one, carrying both requests.
      expect(deliveries.map(([fields]) => fields)).toEqual([
        expect.objectContaining({
          type: 'concert-update',
          concertId: concert.id,
          requestIds: ['relay-trace-1', 'relay-trace-2'],
          recipients: 1,
          delivered: 1,
          lagMs: expect.any(Number),
        }),
      ]);
      // Each lag runs from publication (after firstSentAt) to delivery (before the run ended); the
      // report's maximum also covers the run's admin notices.
      const lagMs = (deliveries[0]?.[0] as { lagMs?: number } | undefined)?.lagMs ?? Number.NaN;
      expect(report.maxLagMs).toBeGreaterThanOrEqual(lagMs);
      expect(report.maxLagMs).toBeLessThanOrEqual(ranFor);
      expect(lag).toHaveBeenCalledWith('concert-update', lagMs / 1000);
    } finally {
      logged.mockRestore();
      lag.mockRestore();
    }
  });

  it('serves GET and DELETE /@connections/{id} to the SDK client, and 410 for unknown ids', async () => {
    const client = new ApiGatewayManagementApiClient({
      endpoint: t.service.url,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const extra = await rawClient(t.service.url);
    extra.send({ action: 'join-concert', concertId: concert.id });
    await extra.inbox.next((m) => m.type === 'concert-update');
    const ids = await t.service.services.realtime.registry.watchers(concert.id);
    expect(ids).toHaveLength(2);
    const infos = await Promise.all(
      ids.map((id) => client.send(new GetConnectionCommand({ ConnectionId: id }))),
    );
    for (const info of infos) expect(info.ConnectedAt).toBeInstanceOf(Date);

    const closed = new Promise<number>((resolve) => extra.socket.once('close', (code) => resolve(code)));
    // The newer of the two connections is the one this test opened: close it through the API.
    const connectedAt = infos.map((info) => info.ConnectedAt?.getTime() ?? 0);
    const newest = ids[connectedAt.indexOf(Math.max(...connectedAt))];
    await client.send(new DeleteConnectionCommand({ ConnectionId: newest }));
    expect(await closed).toBe(1000);
    await expect(
      client.send(new GetConnectionCommand({ ConnectionId: 'no-such-connection' })),
    ).rejects.toBeInstanceOf(GoneException);
  });
});

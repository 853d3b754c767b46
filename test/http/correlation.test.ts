import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../functions/core/jobs.service';
import type { RunningService } from '../../local/service';
import { capturingLogger } from '../support/log-capture';
import { adminFeedsLive, rawClient } from '../support/realtime-clients';
import { type ApiClient, startTestService, type TestService } from '../support/test-service';

interface LogLine {
  msg: string;
  requestId?: string;
  requestIds?: string[];
  route?: string;
  type?: string;
  event?: string;
  concertId?: string;
  lagMs?: number;
}

describe('correlation: one request followed from its log line to the published event and the delivery', () => {
  let t: TestService;
  let service: RunningService;
  let api: ApiClient;
  const captured = capturingLogger('debug');
  const lines = () => captured.records<LogLine>();

  beforeAll(async () => {
    t = await startTestService({}, { logger: captured.logger });
    service = t.service;
    api = t.api;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('carries the x-request-id of a hold into the published update, the admin notice and their deliveries', async () => {
    const admin = await api.adminToken();
    const fan = await api.register('traced@example.test');
    const concert = await api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 10 }]);
    const watcher = await rawClient(service.url);
    const console = await rawClient(service.url, admin);
    watcher.send({ action: 'join-concert', concertId: concert.id });
    console.send({ action: 'join-admin' });
    await watcher.inbox.next((message) => message.type === 'concert-update');
    await adminFeedsLive(
      [console],
      async () => (await api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 1 }])).id,
    );

    const requestId = `trace-${randomBytes(4).toString('hex')}`;
    const sentAt = Date.now();
    const hold = await api.request('POST', '/api/reservations', {
      token: fan,
      headers: { 'x-request-id': requestId },
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 2 },
    });
    expect(hold.status).toBe(201);
    // Another request, on another concert, at the same time: never attributed to this one.
    const other = await api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 10 }], {
      title: 'Other',
    });
    const otherHold = await api.request('POST', '/api/reservations', {
      token: fan,
      headers: { 'x-request-id': 'someone-else-1' },
      body: { concertId: other.id, tierId: other.tiers[0]?.id, quantity: 1 },
    });
    expect(otherHold.status).toBe(201);
    await watcher.inbox.next(
      (message) => message.type === 'concert-update' && message.availableTickets === 8,
    );
    await console.inbox.next((message) => message.event === 'new-reservation');
    watcher.close();
    console.close();

    const about = (line: LogLine) => line.requestId === requestId || line.requestIds?.includes(requestId);
    const traced = () => lines().filter(about);
    await expect
      .poll(() => traced().filter((line) => line.msg.startsWith('delivered')).length)
      .toBeGreaterThanOrEqual(1);
    const [request] = traced().filter((line) => line.msg === 'request');
    expect(request).toMatchObject({ route: 'reservations-create', requestId });
    const published = traced().filter((line) => line.msg === 'published');
    expect(published.map((line) => line.type ?? line.event).sort()).toEqual([
      'admin-notification',
      'concert-update',
    ]);
    expect(published.find((line) => line.type === 'admin-notification')).toMatchObject({
      event: 'new-reservation',
    });
    const delivered = traced().find(
      (line) => line.msg.startsWith('delivered') && line.type === 'concert-update',
    );
    expect(delivered).toMatchObject({ concertId: concert.id });
    // The lag runs from the publish, which came after the request was sent (ms, not s or µs).
    expect(delivered?.lagMs).toBeLessThanOrEqual(Date.now() - sentAt);
    expect(traced().every((line) => line.concertId === undefined || line.concertId === concert.id)).toBe(
      true,
    );
    const otherLines = () => lines().filter((line) => line.requestIds?.includes('someone-else-1'));
    await expect
      .poll(() => otherLines().filter((line) => line.msg.startsWith('delivered')).length)
      .toBeGreaterThanOrEqual(1);
    const others = lines().filter((line) => line.requestIds?.includes('someone-else-1'));
    expect(others.every((line) => line.concertId === other.id && !line.requestIds?.includes(requestId))).toBe(
      true,
    );
  });

  it('carries a job run’s id into what the run publishes, and reports the id', async () => {
    const admin = await api.adminToken();
    const fan = await api.register('job-traced@example.test');
    const concert = await api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }], {
      title: 'Job traced',
    });
    const hold = await api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 3 },
    });
    expect(hold.status).toBe(201);
    const watcher = await rawClient(service.url);
    watcher.send({ action: 'join-concert', concertId: concert.id });
    await watcher.inbox.next(
      (message) => message.type === 'concert-update' && message.availableTickets === 2,
    );
    await service.services.db.query(
      `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [hold.body.reservation.id],
    );

    const report = await runJob(service.services.jobs, 'expire-holds');
    expect(report.runId).toMatch(/^job:expire-holds:[0-9a-f]{8}$/);
    expect(report.counts).toMatchObject({ holds: 1, tickets: 3 });
    await watcher.inbox.next(
      (message) => message.type === 'concert-update' && message.availableTickets === 5,
    );
    watcher.close();
    const traced = () => lines().filter((line) => line.requestIds?.includes(report.runId));
    await expect
      .poll(() => traced().filter((line) => line.msg.startsWith('delivered')).length)
      .toBeGreaterThanOrEqual(1);
    const published = traced().filter((line) => line.msg === 'published');
    expect(published.map((line) => line.type).sort()).toEqual(['admin-notification', 'concert-update']);
    expect(published.find((line) => line.type === 'admin-notification')).toMatchObject({
      event: 'holds-expired',
    });
    expect(published.every((line) => line.concertId === concert.id)).toBe(true);
  });

  it('trusts only a sane X-Request-Id: anything else gets the gateway’s own id', async () => {
    const hostile = `${'x'.repeat(300)} <script>`;
    const response = await api.request('GET', '/api/concerts', { headers: { 'x-request-id': hostile } });
    expect(response.status).toBe(200);
    const logged = lines()
      .filter((line) => line.route === 'concerts-list')
      .at(-1);
    expect(logged?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(lines())).not.toContain('xxxxxxxxxx <script>');
  });
});

import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../functions/core/jobs.service';
import { rawClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

type Family = {
  name: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string; count?: string }>;
};

describe('GET /metrics', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(async () => {
    await t?.close();
  });

  let lastText = '';
  const scrape = async (): Promise<Family[]> => {
    const response = await fetch(`${t.service.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    lastText = await response.text();
    return parsePrometheusTextFormat(lastText) as Family[];
  };
  const value = (families: Family[], name: string, labels: Record<string, string>) =>
    Number(
      families
        .find((f) => f.name === name)
        ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? 0,
    );

  it('parses as Prometheus text, and the counters move with the actions', async () => {
    const admin = await t.api.adminToken();
    const fan = await t.api.register('metrics@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 1 }]);
    const before = await scrape();

    const hold = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
    });
    await t.api.request('POST', `/api/reservations/${hold.body.reservation.id}/confirm`, { token: fan });
    await t.api.request('GET', '/api/concerts/not-an-id');
    const socket = await rawClient(t.service.url);
    const after = await scrape();
    socket.close();

    const delta = (name: string, labels: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    expect(delta('ticketing_events_total', { event: 'new-reservation' })).toBe(1);
    expect(delta('ticketing_events_total', { event: 'sold-out' })).toBe(1);
    expect(delta('ticketing_events_total', { event: 'reservation-confirmed' })).toBe(1);
    expect(delta('http_requests_total', { route: 'reservations-create', status: '201' })).toBe(1);
    expect(delta('http_requests_total', { route: 'concerts-get', status: '404' })).toBe(1);
    expect(value(after, 'websocket_connections', { transport: 'ws' })).toBe(1);
    expect(after.find((f) => f.name === 'http_request_duration_seconds')).toBeDefined();
    expect(lastText).toMatch(/^http_request_duration_seconds_count\{route="reservations-create"\} 1$/m);
    expect(after.some((f) => f.name === 'process_resident_memory_bytes')).toBe(true);
  });

  it('count the admin notices of concert changes: created, updated and cancelled', async () => {
    const admin = await t.api.adminToken();
    const before = await scrape();
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
    const renamed = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { title: 'Renamed' },
    });
    expect(renamed.status).toBe(200);
    const cancelled = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { status: 'cancelled' },
    });
    expect(cancelled.status).toBe(200);
    const after = await scrape();
    const delta = (event: string) =>
      value(after, 'ticketing_events_total', { event }) - value(before, 'ticketing_events_total', { event });
    expect(delta('concert-created')).toBe(1);
    expect(delta('concert-updated')).toBe(2);
    expect(delta('concert-cancelled')).toBe(1);
  });

  it('show the relay lag of delivered updates, and job outcomes from this process and from the database', async () => {
    const admin = await t.api.adminToken();
    const fan = await t.api.register('lag@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
    const lagCount = () =>
      lastText.match(/^realtime_delivery_lag_seconds_count\{kind="concert-update"\} (\d+)$/m)?.[1] ?? '0';
    await scrape();
    const before = Number(lagCount());
    await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
    });
    await expect
      .poll(async () => {
        await scrape();
        return Number(lagCount());
      })
      .toBeGreaterThan(before);
    expect(lastText).toMatch(
      /^realtime_delivery_lag_seconds_bucket\{le="\+Inf",kind="concert-update"\} \d+$/m,
    );

    await runJob(t.service.services.jobs, 'expire-holds');
    // A run recorded by another process (the scheduler, a CronJob) reaches /metrics through the database.
    await t.service.services.jobs.maintenance.recordRun({
      job: 'backup',
      startedAt: new Date(Date.now() - 2_000),
      finishedAt: new Date(),
      outcome: 'failed',
      counts: {},
      error: 'disk full',
    });
    const families = await scrape();
    expect(value(families, 'job_runs_total', { job: 'expire-holds', outcome: 'succeeded' })).toBe(1);
    expect(value(families, 'job_runs_recorded', { job: 'expire-holds', outcome: 'succeeded' })).toBe(1);
    expect(value(families, 'job_runs_recorded', { job: 'backup', outcome: 'failed' })).toBe(1);
    const lastBackup = value(families, 'job_last_finished_timestamp_seconds', {
      job: 'backup',
      outcome: 'failed',
    });
    expect(Math.abs(lastBackup - Date.now() / 1000)).toBeLessThan(60);
  });
});

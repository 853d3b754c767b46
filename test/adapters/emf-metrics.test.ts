import { describe, expect, it } from 'vitest';
import { EmfMetrics, METRICS_NAMESPACE } from '../../functions/adapters/aws/emf-metrics';
import { loadConfig } from '../../functions/config/service-config';
import { captureEmf } from '../support/emf';

describe('CloudWatch embedded metrics (Lambda)', () => {
  it('write one valid EMF line per record, with its dimensions and values', async () => {
    const metrics = new EmfMetrics();
    const lines = await captureEmf(() => {
      metrics.request('reservations-create', 'POST', 201, 0.0125);
      metrics.request('reservations-create', 'POST', 503, 0.002);
      metrics.ticketingEvent('sold-out');
      metrics.deliveryLag('concert-update', 0.25);
      metrics.jobFinished('expire-holds', 'failed', 1.5);
    });
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      const [directive] = line._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
      expect(Math.abs(line._aws.Timestamp - Date.now())).toBeLessThan(60_000);
      // Every dimension and metric named in the directive has its value on the line (the EMF rule).
      for (const name of directive?.Dimensions.flat() ?? []) expect(typeof line[name]).toBe('string');
      for (const { Name } of directive?.Metrics ?? []) expect(typeof line[Name]).toBe('number');
    }
    expect(lines[0]).toMatchObject({
      route: 'reservations-create',
      status: '2xx',
      Requests: 1,
      Latency: 12.5,
    });
    expect(lines[1]).toMatchObject({ status: '5xx' });
    expect(lines[2]).toMatchObject({ event: 'sold-out', TicketingEvents: 1 });
    expect(lines[3]).toMatchObject({ kind: 'concert-update', RelayLag: 250 });
    expect(lines[3]?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: 'RelayLag', Unit: 'Milliseconds' },
    ]);
    expect(lines[4]).toMatchObject({ job: 'expire-holds', outcome: 'failed', JobRuns: 1, JobDuration: 1500 });
  });

  it('is the default on Lambda, Prometheus elsewhere, and METRICS_FORMAT decides when set', () => {
    const base = { JWT_SECRET: 'j'.repeat(40) };
    expect(loadConfig({ ...base, AWS_LAMBDA_FUNCTION_NAME: 'cts-prod-relay' }).metricsFormat).toBe('emf');
    expect(loadConfig(base).metricsFormat).toBe('prometheus');
    expect(loadConfig({ ...base, METRICS_FORMAT: 'emf' }).metricsFormat).toBe('emf');
  });
});

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RealtimeMessage } from '../../core/realtime';
import type { JobRunSummary } from '../../ports/maintenance.repository.port';
import type { ServiceMetrics } from '../../ports/service-metrics.port';

/** The service's Prometheus metrics (containers: GET /metrics on each replica). */
export class PrometheusMetrics implements ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'method', 'status'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly sales = new Counter({
    name: 'ticketing_events_total',
    help: 'Committed changes by kind: new-reservation, reservation-confirmed, reservation-cancelled, sold-out, holds-expired, …',
    labelNames: ['event'],
    registers: [this.registry],
  });
  readonly websocketConnections = new Gauge({
    name: 'websocket_connections',
    help: 'Open WebSocket and Socket.IO connections on this replica',
    labelNames: ['transport'],
    registers: [this.registry],
  });

  readonly deliveryLagSeconds = new Histogram({
    name: 'realtime_delivery_lag_seconds',
    help: 'From publication on the bus to the frames sent to this replica’s sockets (the relay lag)',
    labelNames: ['kind'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly relaySkippedTotal = new Counter({
    name: 'realtime_relay_skipped_total',
    help: 'Messages the relay gave up on for some recipients and went past, by reason (too-large, throttled, unavailable, refused, out-of-time, malformed)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly connectionsRefusedTotal = new Counter({
    name: 'realtime_connections_refused_total',
    help: 'Live connections this replica closed or refused, by reason (too-many-connections, rate-limited, frame-too-large, unauthorized, not-registered, admin-token-revoked) and transport',
    labelNames: ['reason', 'transport'],
    registers: [this.registry],
  });
  readonly jobsFinished = new Counter({
    name: 'job_runs_total',
    help: 'Scheduled job runs finished in this process, by job and outcome',
    labelNames: ['job', 'outcome'],
    registers: [this.registry],
  });
  readonly jobsRecorded = new Gauge({
    name: 'job_runs_recorded',
    help: 'Job runs recorded in the database (any process: scheduler, CLI, CronJob), by job and outcome',
    labelNames: ['job', 'outcome'],
    registers: [this.registry],
  });
  readonly jobLastFinished = new Gauge({
    name: 'job_last_finished_timestamp_seconds',
    help: 'When each job last finished with each outcome (alert when a success is too old)',
    labelNames: ['job', 'outcome'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  request(route: string, method: string, status: number, seconds: number): void {
    this.httpRequests.inc({ route, method, status });
    this.httpDuration.observe({ route }, seconds);
  }

  ticketingEvent(event: string): void {
    this.sales.inc({ event });
  }

  deliveryLag(kind: RealtimeMessage['type'], seconds: number): void {
    this.deliveryLagSeconds.observe({ kind }, seconds);
  }

  relaySkipped(reason: string): void {
    this.relaySkippedTotal.inc({ reason });
  }

  connectionRefused(reason: string, transport: string): void {
    this.connectionsRefusedTotal.inc({ reason, transport });
  }

  jobFinished(job: string, outcome: string): void {
    this.jobsFinished.inc({ job, outcome });
  }

  /** The database's record of job runs, read at scrape time: jobs run in other processes too. */
  recordedJobRuns(summary: JobRunSummary[]): void {
    this.jobsRecorded.reset();
    this.jobLastFinished.reset();
    for (const { job, outcome, runs, lastFinishedAt } of summary) {
      this.jobsRecorded.set({ job, outcome }, runs);
      this.jobLastFinished.set({ job, outcome }, Date.parse(lastFinishedAt) / 1000);
    }
  }
}

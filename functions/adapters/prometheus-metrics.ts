import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AdminNotification } from '../core/realtime';
import type { RealtimeEvents } from '../ports/realtime-events.port';

/** The service's Prometheus metrics (containers: GET /metrics on each replica). */
export class PrometheusMetrics {
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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts what the use cases announce, then passes it on: the domain needs no metrics port. */
  countingEvents(inner: RealtimeEvents): RealtimeEvents {
    return {
      concertChanged: (concertId) => inner.concertChanged(concertId),
      notifyAdmins: (notice: Omit<AdminNotification, 'type' | 'at'>) => {
        this.sales.inc({ event: notice.event });
        inner.notifyAdmins(notice);
      },
    };
  }
}

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../config/metric-names';
import type { RealtimeMessage } from '../../core/realtime';
import type { ServiceMetrics } from '../../ports/service-metrics.port';

export { METRICS_NAMESPACE, METRICS_SERVICE };

const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

/**
 * Lambda: each record is one CloudWatch embedded-metric-format line on stdout (Powertools Metrics), which
 * CloudWatch Logs turns into metrics with no API call in the request path. Metric names and dimensions
 * are what the alarms and the dashboard in stacks/monitoring.ts read.
 */
export class EmfMetrics implements ServiceMetrics {
  // Powertools adds the `service` dimension to every line.
  private readonly metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });

  request(route: string, _method: string, status: number, seconds: number): void {
    this.publish({ route, status: statusClass(status) }, [
      ['Requests', MetricUnit.Count, 1],
      ['Latency', MetricUnit.Milliseconds, seconds * 1000],
    ]);
  }

  ticketingEvent(event: string): void {
    this.publish({ event }, [['TicketingEvents', MetricUnit.Count, 1]]);
  }

  deliveryLag(kind: RealtimeMessage['type'], seconds: number): void {
    this.publish({ kind }, [['RelayLag', MetricUnit.Milliseconds, seconds * 1000]]);
  }

  relaySkipped(reason: string): void {
    this.publish({ reason }, [['RelaySkipped', MetricUnit.Count, 1]]);
  }

  connectionRefused(reason: string, transport: string): void {
    this.publish({ reason, transport }, [['ConnectionsRefused', MetricUnit.Count, 1]]);
  }

  jobFinished(job: string, outcome: string, seconds: number): void {
    this.publish({ job, outcome }, [
      ['JobRuns', MetricUnit.Count, 1],
      ['JobDuration', MetricUnit.Milliseconds, seconds * 1000],
    ]);
  }

  private publish(
    dimensions: Record<string, string>,
    values: Array<[string, (typeof MetricUnit)[keyof typeof MetricUnit], number]>,
  ): void {
    this.metrics.addDimensions(dimensions);
    for (const [name, unit, value] of values) this.metrics.addMetric(name, unit, value);
    this.metrics.publishStoredMetrics();
  }
}

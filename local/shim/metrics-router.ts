import express, { type Router } from 'express';
import { PrometheusMetrics } from '../../functions/adapters/node/prometheus-metrics';
import type { Services } from '../../functions/composition/services';

/**
 * `GET /metrics` in Prometheus text format, for the replica's scraper. nginx does not expose it; in
 * Kubernetes it is scraped on the pod's port.
 */
export function metricsRouter(services: Services, connections: () => Record<string, number>): Router {
  // Exactly `/metrics`: `/METRICS` or `/metrics/` are not an alias a proxy's rule could miss.
  const router = express.Router({ caseSensitive: true, strict: true });
  const { metrics } = services;
  if (!(metrics instanceof PrometheusMetrics)) return router;
  router.get('/metrics', async (_req, res) => {
    for (const [transport, count] of Object.entries(connections())) {
      metrics.websocketConnections.set({ transport }, count);
    }
    try {
      metrics.recordedJobRuns(await services.jobs.maintenance.runSummary());
    } catch (error) {
      services.logger.warn({ err: error }, 'could not read the job runs for /metrics');
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}

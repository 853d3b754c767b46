import express, { type Router } from 'express';
import type { Services } from '../../functions/composition/services';

/**
 * `GET /metrics` in Prometheus text format, for the replica's scraper. nginx does not expose it; in
 * Kubernetes it is scraped on the pod's port.
 */
export function metricsRouter(services: Services, connections: () => Record<string, number>): Router {
  const router = express.Router();
  router.get('/metrics', async (_req, res) => {
    for (const [transport, count] of Object.entries(connections())) {
      services.metrics.websocketConnections.set({ transport }, count);
    }
    res.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
  });
  return router;
}

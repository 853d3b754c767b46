import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildServices, type Services } from '../functions/composition/services';
import type { ServiceConfig } from '../functions/config/service-config';
import { HTTP_ROUTES } from '../functions/handlers/http/routes';
import { useServices } from '../functions/handlers/http/runtime';
import { createHttpApp } from './shim/http-app';

export interface RunningService {
  server: Server;
  port: number;
  url: string;
  services: Services;
  /** Stops taking connections, lets in-flight requests finish (up to `graceMs`), then closes the pools. */
  stop(graceMs?: number): Promise<void>;
}

/** The whole service in this process: migrations, the configured admin, and the HTTP shim. */
export async function startService(config: ServiceConfig): Promise<RunningService> {
  const services = await buildServices(config, { migrate: true });
  useServices(services);
  const server = createServer(createHttpApp(config, HTTP_ROUTES));
  server.keepAliveTimeout = 65_000; // longer than nginx's and the ALB's idle timeouts
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    services,
    stop: (graceMs = 10_000) => {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Keep-alive sockets turn idle as their last response goes out: close each one as soon as it does.
        const sweeper = setInterval(() => server.closeIdleConnections(), 50);
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearInterval(sweeper);
        clearTimeout(timer);
        await services.close();
      })();
      return stopping;
    },
  };
}

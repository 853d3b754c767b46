import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { buildServices, type Services } from '../functions/composition/services';
import type { ServiceConfig } from '../functions/config/service-config';
import { HTTP_ROUTES } from '../functions/handlers/http/routes';
import { useServices } from '../functions/handlers/http/runtime';
import { handler as wsConnect } from '../functions/handlers/ws-connect';
import { handler as wsDisconnect } from '../functions/handlers/ws-disconnect';
import { CLIENT_ACTIONS, handler as wsMessage } from '../functions/handlers/ws-message';
import { createHttpApp } from './shim/http-app';
import { LiveFanout } from './shim/live-fanout';
import { metricsRouter } from './shim/metrics-router';
import { SocketIoGateway } from './shim/socket-io-gateway';
import { webPageRouter } from './shim/web-page';
import { WebSocketGateway } from './shim/websocket-gateway';

export interface RunningService {
  server: Server;
  port: number;
  url: string;
  services: Services;
  fanout: LiveFanout;
  /** Stops taking connections, lets in-flight requests finish (up to `graceMs`), then closes the pools. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** The built web page to serve at `/` (web/dist); without it the service is the API alone. */
  webRoot?: string;
  /** Where the logs go (default: pino on stdout at LOG_LEVEL). */
  logger?: Logger;
  /** Runs once the services are up and before the port opens (the embedded first start seeds here). */
  prepare?: (services: Services) => Promise<void>;
}

/** The whole service in this process: migrations, the configured admin, and the HTTP shim. */
export async function startService(
  config: ServiceConfig,
  options: StartOptions = {},
): Promise<RunningService> {
  const services = await buildServices(config, {
    migrate: true,
    cacheConcertReads: true,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  useServices(services);
  await options.prepare?.(services);
  let port = config.port;
  let socketIo: SocketIoGateway | undefined;
  const websockets = new WebSocketGateway(
    {
      connect: wsConnect,
      disconnect: wsDisconnect,
      actions: Object.fromEntries(CLIENT_ACTIONS.map((action) => [action, wsMessage])),
      fallback: wsMessage,
    },
    () => `127.0.0.1:${port}`,
    (error) => services.logger.error({ err: error }, 'websocket handler failed'),
  );
  const server = createServer(
    createHttpApp(config, HTTP_ROUTES, [
      websockets.managementRouter(),
      metricsRouter(services, () => ({
        ws: websockets.size,
        'socket.io': socketIo?.io.engine.clientsCount ?? 0,
      })),
      ...(options.webRoot ? [webPageRouter(options.webRoot)] : []),
    ]),
  );
  server.keepAliveTimeout = 65_000; // longer than nginx's and the ALB's idle timeouts
  // Slow-loris guards: a request must arrive whole within these.
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  websockets.attach(server);
  socketIo = new SocketIoGateway(server, services, config.frontendOrigins);
  const fanout = new LiveFanout(services, websockets, socketIo, config.realtimeCoalesceMs);
  await fanout.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, resolve);
  });
  port = (server.address() as AddressInfo).port;
  // The handlers answer WebSocket clients through this process's own management API.
  services.realtime.callbackUrl ??= `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    services,
    fanout,
    stop: (graceMs = 10_000) => {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        socketIo?.close();
        await websockets.close();
        // Keep-alive sockets turn idle as their last response goes out: close each one as soon as it does.
        const sweeper = setInterval(() => server.closeIdleConnections(), 50);
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearInterval(sweeper);
        clearTimeout(timer);
        await fanout.stop();
        await services.close();
      })();
      return stopping;
    },
  };
}

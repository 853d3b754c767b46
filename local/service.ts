import { createServer, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { buildServices, type Services } from '../functions/composition/services';
import type { ServiceConfig } from '../functions/config/service-config';
import { HTTP_ROUTES } from '../functions/handlers/http/routes';
import { useServices } from '../functions/handlers/lambda-runtime';
import { handler as wsConnect } from '../functions/handlers/ws-connect';
import { handler as wsDisconnect } from '../functions/handlers/ws-disconnect';
import { CLIENT_ACTIONS, handler as wsMessage } from '../functions/handlers/ws-message';
import { portTakenBy } from './port-owner';
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
  /**
   * Ms a request has to arrive whole, headers and body (default 30 000, the documented bound; tests
   * shorten it). The headers alone get two thirds of it. A request still arriving is answered 408 and
   * its connection closed within `requestTimeoutMs` + 1 s.
   */
  requestTimeoutMs?: number;
}

/** How often Node looks for requests past their deadline: the precision of `requestTimeoutMs`. */
const TIMEOUT_CHECK_MS = 1_000;

/** Node's parser error codes (nodejs.org/api/errors.html) to the status its default handler sends. */
const CLIENT_ERROR_STATUS: Record<string, number> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
};

/** The whole service in this process: migrations, the configured admin, and the HTTP shim. */
export async function startService(
  config: ServiceConfig,
  options: StartOptions = {},
): Promise<RunningService> {
  const services = await buildServices(config, {
    runtime: 'server',
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
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  // Slow-loris guards: a request must arrive whole within these. Node checks them only every
  // `connectionsCheckingInterval` (default 30 s, which made the documented 30 s a cut at 30–60 s).
  const server = createServer(
    {
      requestTimeout,
      headersTimeout: Math.round((requestTimeout * 2) / 3),
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, requestTimeout),
      // createHttpApp refuses an HTTP/1.1 request without Host itself, with a JSON body, logged and counted.
      requireHostHeader: false,
    },
    createHttpApp(
      config,
      HTTP_ROUTES,
      [
        websockets.managementRouter(),
        metricsRouter(services, () => ({
          ws: websockets.size,
          'socket.io': socketIo?.io.engine.clientsCount ?? 0,
        })),
        ...(options.webRoot ? [webPageRouter(options.webRoot)] : []),
      ],
      (answer) => {
        services.metrics.request('shim', answer.method, answer.status, answer.seconds);
        const line = {
          route: 'shim',
          method: answer.method,
          path: answer.path,
          status: answer.status,
          errorCode: answer.errorCode,
        };
        if (answer.status >= 500) services.logger.error({ ...line, err: answer.error }, 'request failed');
        else services.logger.info(line, 'request');
      },
    ),
  );
  server.keepAliveTimeout = 65_000; // longer than nginx's and the ALB's idle timeouts
  // What Node refuses before Express sees it (unparsable HTTP, headers too large, a request too slow)
  // is logged and counted like any other answer, and carries the contract's error body.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 400;
    if (error.code !== 'ECONNRESET') {
      services.metrics.request('shim', '', status, 0);
      services.logger.info({ route: 'shim', status, errorCode: error.code }, 'request refused by the parser');
    }
    // Bytes that are no request after a request still being served (a body sent without a length):
    // that request's own answer goes out first, then the connection closes; never a 400 in its place.
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (inFlight && !inFlight.writableFinished && error.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      inFlight.shouldKeepAlive = false;
      inFlight.once('finish', () => socket.destroy());
      return;
    }
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as Socket).bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({
      error: {
        code: 'VALIDATION_FAILED',
        message:
          status === 408
            ? `The request did not arrive whole within ${requestTimeout} ms`
            : 'The request is not valid HTTP',
      },
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  websockets.attach(server);
  socketIo = new SocketIoGateway(server, services, config.frontendOrigins);
  const fanout = new LiveFanout(services, websockets, socketIo);
  await fanout.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, resolve);
  }).catch(async (error: NodeJS.ErrnoException) => {
    await fanout.stop().catch(() => {});
    await services.close();
    if (error.code !== 'EADDRINUSE') throw error;
    throw new Error((await portTakenBy(config.port)) ?? `PORT ${config.port} is in use`);
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

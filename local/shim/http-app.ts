import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import helmet from 'helmet';
import type { ServiceConfig } from '../../functions/config/service-config';
import { TicketingError } from '../../functions/core/errors';
import { toErrorResponse } from '../../functions/handlers/http/error-response';
import { MAX_BODY_BYTES } from '../../functions/handlers/http/http-request';
import { routeMatcher } from '../../functions/handlers/http/route-matcher';
import type { HttpRouteEntry } from '../../functions/handlers/http/routes';
import { toHttpApiEvent } from './http-api-event';
import { lambdaContext } from './lambda-context';

/**
 * What the shim answers on its own (no route, 405, unreadable or oversized body, a bad Content-Encoding):
 * the handlers log and count theirs; these reach the logs and `http_requests_total` through this.
 */
export type ShimAnswerObserver = (answer: {
  method: string;
  path: string;
  status: number;
  errorCode: string;
  seconds: number;
  error?: unknown;
}) => void;

/**
 * Paths served only to the replica's neighbours (the scraper, the handlers' own management API calls).
 * Routed exactly as written: `/METRICS`, `/metrics/` or `/@CONNECTIONS/x` are not found, never an alias.
 */
const INTERNAL_PATH = /^\/(?:metrics|@connections)(?:\/|$)/i;
const CANONICAL_INTERNAL_PATH = /^\/(?:metrics|@connections\/[^/]+)$/;

/**
 * Express 5 in front of the very handlers Lambda deploys: each request becomes an HTTP API v2 event.
 *
 * `trust proxy` is config `trustProxy` (TRUST_PROXY): with the default (none) the socket's peer is the
 * client and any `X-Forwarded-For` is ignored, so no client picks the address its limits are counted by.
 * Routing is case-sensitive and strict (`/Api/concerts` and `/metrics/` are not found).
 */
export function createHttpApp(
  config: ServiceConfig,
  routes: readonly HttpRouteEntry[],
  /** Mounted before the API's body parser (the WebSocket management API reads its own bodies). */
  routers: Router[] = [],
  /** Told of every answer the shim gives without a handler (see `ShimAnswerObserver`). */
  observe: ShimAnswerObserver = () => {},
): Express {
  const app = express();
  app.disable('x-powered-by');
  // The handler's answer goes out as it is, as on API Gateway: Express's ETag hashed every body (SHA-1,
  // POSTs too), a few % of the shim's CPU during a flash sale (issue 19), for a header nobody sent back.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  const sendError = (req: express.Request, res: express.Response, error: unknown): void => {
    const { status, body, headers } = toErrorResponse(error);
    res.status(status).set(headers).json(body);
    const started = (req as { startedAt?: number }).startedAt ?? performance.now();
    observe({
      method: req.method,
      path: req.path,
      status,
      errorCode: body.error.code,
      seconds: (performance.now() - started) / 1000,
      ...(error instanceof TicketingError && status < 500 ? {} : { error }),
    });
  };
  app.use((req, res, next) => {
    (req as { startedAt?: number }).startedAt = performance.now();
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. The server leaves this check to us
    // (`requireHostHeader: false`) so the refusal has the contract's body and is logged and counted;
    // HTTP/1.0 needs no Host (health probes) and is served.
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      sendError(req, res, new TicketingError('VALIDATION_FAILED', 'An HTTP/1.1 request needs a Host header'));
      return;
    }
    next();
  });
  app.use((_req, res, next) => {
    res.setHeader('x-instance-id', config.instanceId);
    next();
  });
  // The same security headers nginx adds, for deployments without it (HSTS only matters over TLS).
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'", 'wss:', 'ws:', 'https:'],
          frameAncestors: ["'none'"],
          // The shim speaks plain HTTP (TLS ends at nginx or the load balancer): upgrading would break
          // the page and its ws:// socket for anyone reaching it by a LAN address.
          upgradeInsecureRequests: null,
        },
      },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
      crossOriginResourcePolicy: { policy: 'same-site' },
    }),
  );
  app.use(
    cors({
      origin: config.frontendOrigins.length > 0 ? config.frontendOrigins : false,
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
      exposedHeaders: ['x-instance-id', 'retry-after'],
      maxAge: 600,
    }),
  );
  app.use((req, res, next) => {
    if (INTERNAL_PATH.test(req.path) && !CANONICAL_INTERNAL_PATH.test(req.path)) {
      sendError(req, res, new TicketingError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
      return;
    }
    next();
  });
  for (const router of routers) app.use(router);
  // The interactive viewer of /api/openapi.json, served from the swagger-ui-dist package (no CDN).
  app.get('/api/docs', (req, res, next) =>
    req.originalUrl === '/api/docs' ? res.redirect(301, '/api/docs/') : next(),
  );
  app.get('/api/docs/swagger-initializer.js', (_req, res) => {
    res
      .type('application/javascript')
      .send(
        "window.onload = () => { window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui' }); };",
      );
  });
  const viewer = swaggerUiDirectory();
  if (viewer) app.use('/api/docs', express.static(viewer, { index: 'index.html' }));
  app.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));

  // The same matcher as the ALB's Lambda (functions/handlers/http/route-matcher.ts); a HEAD is served
  // by the GET route (as Express serves it), its body left out by `res.send`.
  const matcher = routeMatcher(routes);
  app.use(async (req, res, next) => {
    const match = matcher.match(req.method === 'HEAD' ? 'GET' : req.method, req.path);
    if (match.kind !== 'found') {
      sendError(
        req,
        res,
        match.kind === 'method-not-allowed'
          ? new TicketingError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}`)
          : new TicketingError('NOT_FOUND', `No route for ${req.method} ${req.path}`),
      );
      return;
    }
    const { route, pathParameters } = match;
    try {
      const event = toHttpApiEvent(req, `${route.method} ${route.path}`, pathParameters);
      const result = await route.handler(
        event,
        lambdaContext(route.functionName, event.requestContext.requestId),
      );
      res.status(result.statusCode ?? 200);
      for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
      res.send(result.body ?? '');
    } catch (error) {
      next(error);
    }
  });
  app.use(((error, req, res, _next) => {
    const { type, status } = error as { type?: unknown; status?: unknown };
    if (type === 'entity.too.large') {
      sendError(
        req,
        res,
        new TicketingError('PAYLOAD_TOO_LARGE', `The body may be at most ${MAX_BODY_BYTES} bytes`),
      );
    } else if (
      (typeof type === 'string' && type.startsWith('entity.')) ||
      type === 'request.aborted' ||
      // body-parser marks what the client sent wrong with a 4xx status: a body not in its declared
      // Content-Encoding (a zlib error), an unsupported charset or coding, a length that does not match.
      (typeof status === 'number' && status >= 400 && status < 500)
    ) {
      sendError(req, res, new TicketingError('VALIDATION_FAILED', 'The request body could not be read'));
    } else {
      sendError(req, res, error);
    }
  }) as ErrorRequestHandler);
  return app;
}

/** Where swagger-ui-dist's files are; undefined when it is not installed (then there is no viewer). */
function swaggerUiDirectory(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  } catch {
    return undefined;
  }
}

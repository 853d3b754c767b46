import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import helmet from 'helmet';
import type { ServiceConfig } from '../../functions/config/service-config';
import { TicketingError } from '../../functions/core/errors';
import { toErrorResponse } from '../../functions/handlers/http/error-response';
import { MAX_BODY_BYTES } from '../../functions/handlers/http/http-request';
import type { HttpRouteEntry } from '../../functions/handlers/http/routes';
import { toHttpApiEvent } from './http-api-event';
import { lambdaContext } from './lambda-context';

/** Express 5 in front of the very handlers Lambda deploys: each request becomes an HTTP API v2 event. */
export function createHttpApp(
  config: ServiceConfig,
  routes: readonly HttpRouteEntry[],
  /** Mounted before the API's body parser (the WebSocket management API reads its own bodies). */
  routers: Router[] = [],
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
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

  for (const route of routes) {
    const expressPath = route.path.replace(/\{(\w+)\}/g, ':$1');
    const routeKey = `${route.method} ${route.path}`;
    app[route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](
      expressPath,
      async (req, res, next) => {
        try {
          const event = toHttpApiEvent(req, routeKey);
          const result = await route.handler(
            event,
            lambdaContext(route.functionName, event.requestContext.requestId),
          );
          res.status(result.statusCode ?? 200);
          for (const [name, value] of Object.entries(result.headers ?? {}))
            res.setHeader(name, String(value));
          res.send(result.body ?? '');
        } catch (error) {
          next(error);
        }
      },
    );
  }

  const knownPaths = routes.map((route) => new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`));
  app.use((req, res) => {
    const pathExists = knownPaths.some((pattern) => pattern.test(req.path));
    const error = pathExists
      ? new TicketingError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}`)
      : new TicketingError('NOT_FOUND', `No route for ${req.method} ${req.path}`);
    sendError(res, error);
  });
  app.use(((error, _req, res, _next) => {
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.too.large') {
      sendError(
        res,
        new TicketingError('PAYLOAD_TOO_LARGE', `The body may be at most ${MAX_BODY_BYTES} bytes`),
      );
    } else if ((typeof type === 'string' && type.startsWith('entity.')) || type === 'request.aborted') {
      sendError(res, new TicketingError('VALIDATION_FAILED', 'The request body could not be read'));
    } else {
      sendError(res, error);
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

function sendError(res: express.Response, error: unknown): void {
  const { status, body, headers } = toErrorResponse(error);
  res.status(status).set(headers).json(body);
}

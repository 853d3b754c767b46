import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from 'pino';
import { runAsRequest } from '../../adapters/node/request-context';
import type { HandlerDeps, Services } from '../../composition/services';
import { TicketingError } from '../../core/errors';
import { getServices } from '../lambda-runtime';
import { toErrorResponse } from './error-response';
import { HttpRequest } from './http-request';
import { HTTP_ROUTE_TABLE } from './route-table';

export interface HttpResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * A route's work: reads the request, calls one use case with the dependencies it named, shapes the
 * answer. `deps` holds exactly the named parts of {@link HandlerDeps} (never `db`, `redis`, `config`).
 */
export type HttpRoute<K extends keyof HandlerDeps = never> = (
  request: HttpRequest,
  deps: Pick<HandlerDeps, K>,
) => Promise<HttpResult>;

export type HttpLambda = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

interface InFlight {
  started: number;
  request?: HttpRequest;
  logger?: Logger;
  services?: Services;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function jsonResponse(result: HttpResult): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: result.status,
    headers: { ...JSON_HEADERS, ...result.headers },
    body: JSON.stringify(result.body),
  };
}

/**
 * Wraps a route as a Lambda handler: errors become contract-shaped responses; one log line and the
 * `http_requests_total` / duration metrics per request; on Lambda (or REALTIME_COALESCE_MS=0) the answer
 * waits for the publishes of what it announced. A non-GET route whose route-table entry has no body
 * schema refuses a body that is not absent, empty or a JSON object (HttpRequest.noBody). `uses` names the {@link HandlerDeps} the route is handed,
 * e.g. `httpHandler('concerts-list', ['concerts'], async (request, { concerts }) => …)`; a route that
 * needs none omits it.
 */
export function httpHandler(name: string, route: HttpRoute): HttpLambda;
export function httpHandler<K extends keyof HandlerDeps>(
  name: string,
  uses: readonly K[],
  route: HttpRoute<K>,
): HttpLambda;
export function httpHandler<K extends keyof HandlerDeps>(
  name: string,
  usesOrRoute: readonly K[] | HttpRoute,
  maybeRoute?: HttpRoute<K>,
): HttpLambda {
  const uses: readonly K[] = typeof usesOrRoute === 'function' ? [] : usesOrRoute;
  const route = (typeof usesOrRoute === 'function' ? usesOrRoute : maybeRoute) as HttpRoute<K>;
  const inFlight = new WeakMap<APIGatewayProxyEventV2, InFlight>();
  // A mutating route with no body schema still refuses a broken body (attack F5): after the caller is
  // known (401 first, as on routes with a body), before the route does anything.
  const entry = HTTP_ROUTE_TABLE.find((candidate) => candidate.functionName === name);
  const bodyless = entry !== undefined && entry.method !== 'GET' && entry.body === undefined;
  const log = (
    event: APIGatewayProxyEventV2,
    response: APIGatewayProxyStructuredResultV2 | undefined,
    error?: unknown,
  ) => {
    const state = inFlight.get(event);
    const status = response?.statusCode ?? 500;
    const line = {
      route: name,
      method: event.requestContext?.http?.method,
      path: event.rawPath,
      status,
      latencyMs: state ? Math.round((performance.now() - state.started) * 10) / 10 : undefined,
      requestId: state?.request?.requestId,
      userId: state?.request?.principal?.userId,
      errorCode:
        error instanceof TicketingError
          ? error.code
          : error
            ? status < 500
              ? 'VALIDATION_FAILED'
              : 'INTERNAL'
            : undefined,
    };
    if (state) {
      const seconds = (performance.now() - state.started) / 1000;
      state.services?.metrics.request(name, line.method ?? '', status, seconds);
    }
    const logger = state?.logger;
    if (status >= 500) {
      const err = error instanceof TicketingError ? (error.cause ?? error) : error;
      if (logger) logger.error({ ...line, err }, 'request failed');
      else console.error(JSON.stringify({ ...line, msg: 'request failed', error: String(err) }));
    } else if (error && !(error instanceof TicketingError)) {
      // A refusal the schemas missed (the database's data-exception backstop): a gap worth seeing.
      if (logger) logger.warn({ ...line, err: error }, 'request refused by the database');
      else console.warn(JSON.stringify({ ...line, msg: 'request refused by the database' }));
    } else logger?.info(line, 'request');
  };

  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use({
      before: (request) => {
        inFlight.set(request.event, { started: performance.now() });
      },
      after: (request) => log(request.event, request.response),
      onError: (request) => log(request.event, request.response, request.error),
    })
    .use({
      onError: (request) => {
        const { status, body, headers } = toErrorResponse(request.error);
        request.response = jsonResponse({ status, body, headers });
      },
    })
    .handler(async (event) => {
      const services = await getServices();
      const request = new HttpRequest(event, services.tokens);
      const state = inFlight.get(event);
      if (state) {
        state.request = request;
        state.logger = services.logger;
        state.services = services;
      }
      const deps = pick(services, uses);
      if (bodyless) {
        if (entry.access !== 'public') await request.user();
        request.noBody();
      }
      const result = await runAsRequest(request.requestId, () => route(request, deps));
      // On Lambda the container freezes after the response: what the change announced must go out first.
      await services.beforeAnswer();
      return jsonResponse(result);
    }) as HttpLambda;
}

/** Only the named parts: what a route was not handed, it cannot reach at run time either. */
function pick<K extends keyof HandlerDeps>(services: Services, uses: readonly K[]): Pick<HandlerDeps, K> {
  const deps = {} as Pick<HandlerDeps, K>;
  for (const key of uses) deps[key] = services[key];
  return deps;
}

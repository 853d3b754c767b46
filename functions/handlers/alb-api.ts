import type { ALBEvent, ALBResult, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { TicketingError } from '../core/errors';
import { toErrorResponse } from './http/error-response';
import { jsonResponse } from './http/http-handler';
import { routeMatcher, safeDecode } from './http/route-matcher';
import { HTTP_ROUTES } from './http/routes';

const ROUTES = routeMatcher(HTTP_ROUTES);

/**
 * The Application Load Balancer's single Lambda target: it finds the contract route an ALB request is
 * for, hands that route's own handler the API Gateway v2 event it expects, and answers in ALB's shape.
 */
export async function handler(event: ALBEvent, context: Context): Promise<ALBResult> {
  const method = event.httpMethod.toUpperCase();
  const path = event.path;
  const match = ROUTES.match(method, path);
  if (match.kind !== 'found') {
    // A malformed escape (`%E0%A4%A`) names no resource: the same 404 as any other unknown id.
    const error =
      match.kind === 'method-not-allowed'
        ? new TicketingError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`)
        : new TicketingError('NOT_FOUND', `No route for ${method} ${path}`);
    const { status, body, headers } = toErrorResponse(error);
    return toAlb(jsonResponse({ status, body, headers }));
  }
  const { pathParameters } = match;
  // No prototype: a header or parameter named `__proto__` or `constructor` is data, never a member.
  const headers: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value !== undefined) headers[name.toLowerCase()] = value;
  // The ALB passes query values as the client encoded them (AWS: "the load balancer does not decode
  // them"); API Gateway hands handlers decoded ones.
  const queryStringParameters: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) {
    if (v === undefined) continue;
    const key = safeDecode(k.replaceAll('+', ' '));
    const value = safeDecode(v.replaceAll('+', ' '));
    if (key !== undefined && value !== undefined) queryStringParameters[key] = value;
  }
  const query = new URLSearchParams(Object.entries(queryStringParameters));
  const routeKey = `${match.route.method} ${match.route.path}`;
  const v2: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: query.toString(),
    headers,
    queryStringParameters: event.queryStringParameters ? queryStringParameters : undefined,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : undefined,
    requestContext: {
      accountId: 'alb',
      apiId: 'alb',
      domainName: headers.host ?? 'alb',
      domainPrefix: 'alb',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        // The ALB appends the address it saw to X-Forwarded-For (its default `append` mode): the last
        // entry is the client; earlier ones are whatever the client claimed and are never believed.
        sourceIp: headers['x-forwarded-for']?.split(',').at(-1)?.trim() || 'unknown',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: headers['x-amzn-trace-id'] ?? context.awsRequestId,
      routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: event.body ?? undefined,
    isBase64Encoded: event.isBase64Encoded,
  };
  return toAlb(await match.route.handler(v2, context));
}

function toAlb(result: {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  body?: string;
}): ALBResult {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const statusCode = result.statusCode ?? 200;
  return {
    statusCode,
    statusDescription: String(statusCode),
    headers,
    body: result.body ?? '',
    isBase64Encoded: false,
  };
}

import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Request } from 'express';
import { clientAddress } from './client-address';

/**
 * Turns an Express request into the event API Gateway's HTTP API (payload format 2.0) would send.
 * `pathParameters` are the route's, decoded (the route matcher's); without them, Express's `req.params`.
 */
export function toHttpApiEvent(
  req: Request,
  routeKey: string,
  pathParameters: Record<string, string> = { ...req.params } as Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const queryAt = req.originalUrl.indexOf('?');
  const rawQueryString = queryAt >= 0 ? req.originalUrl.slice(queryAt + 1) : '';
  // No prototype: a parameter named `toString` or `__proto__` is a parameter like any other (issue 15 item 9's kind).
  const query: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    query[name] = Object.hasOwn(query, name) ? `${query[name]},${value}` : value;
  }
  const body = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body.toString('utf8') : undefined;
  // The gateway's own id is always fresh; HttpRequest prefers a client's X-Request-Id when it is sane.
  const requestId = randomUUID();
  const now = new Date();
  // HTTP/1.0 has no Host header (a health probe's `GET /health HTTP/1.0`): Express's hostname is undefined.
  const hostname = req.hostname ?? '';
  return {
    version: '2.0',
    routeKey,
    rawPath: req.path,
    rawQueryString,
    headers,
    queryStringParameters: rawQueryString ? query : undefined,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: hostname,
      domainPrefix: hostname.split('.')[0] ?? hostname,
      http: {
        method: req.method,
        path: req.path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: clientAddress(req),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: false,
  };
}

import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../functions/config/service-config';
import { routeMatcher } from '../../functions/handlers/http/route-matcher';
import { HTTP_ROUTE_TABLE } from '../../functions/handlers/http/route-table';
import type { HttpRouteEntry } from '../../functions/handlers/http/routes';
import { createHttpApp } from '../../local/shim/http-app';

describe('the route matcher (the ALB Lambda and the shim share it)', () => {
  const routes = routeMatcher(HTTP_ROUTE_TABLE);

  it('finds a route by method and exact path, with its parameters decoded', () => {
    const match = routes.match('POST', '/api/reservations/a%20b/confirm');
    expect(match).toMatchObject({ kind: 'found', pathParameters: { id: 'a b' } });
    expect(match.kind === 'found' && match.route.functionName).toBe('reservations-confirm');
    expect(routes.match('GET', '/api/concerts')).toMatchObject({ kind: 'found', pathParameters: {} });
  });

  it('tells a path with another method (405) from an unknown path (404), strictly and case-sensitively', () => {
    expect(routes.match('PUT', '/api/concerts').kind).toBe('method-not-allowed');
    expect(routes.match('GET', '/api/concerts/').kind).toBe('not-found');
    expect(routes.match('GET', '/Api/concerts').kind).toBe('not-found');
    expect(routes.match('GET', '/api/concerts/a/b').kind).toBe('not-found');
  });

  it('answers a malformed escape in a parameter as an unknown resource', () => {
    expect(routes.match('GET', '/api/concerts/%E0%A4%A').kind).toBe('not-found');
  });
});

describe('the shim routes with the same matcher', () => {
  let base = '';
  let close = () => {};
  const seen: Array<{ method: string; id: string | undefined }> = [];
  beforeAll(async () => {
    const route = HTTP_ROUTE_TABLE.find((r) => r.functionName === 'concerts-get');
    if (!route) throw new Error('no concerts-get route');
    const entry: HttpRouteEntry = {
      ...route,
      handler: async (event) => {
        seen.push({ method: event.requestContext.http.method, id: event.pathParameters?.id });
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
      },
    };
    const config = { trustProxy: false, instanceId: 'test', frontendOrigins: [] } as unknown as ServiceConfig;
    const server = createHttpApp(config, [entry]).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('serves the route with decoded parameters, HEAD by the GET route, and refuses as the ALB does', async () => {
    expect((await fetch(`${base}/api/concerts/a%20b`)).status).toBe(200);
    expect((await fetch(`${base}/api/concerts/x`, { method: 'HEAD' })).status).toBe(200);
    expect(seen).toEqual([
      { method: 'GET', id: 'a b' },
      { method: 'HEAD', id: 'x' },
    ]);
    const wrongMethod = await fetch(`${base}/api/concerts/x`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect((await wrongMethod.json()).error.code).toBe('METHOD_NOT_ALLOWED');
    // Express itself answered 400 ("could not be read") here; the ALB answered 404: now both say 404.
    const malformed = await fetch(`${base}/api/concerts/%E0%A4%A`);
    expect(malformed.status).toBe(404);
    expect((await malformed.json()).error.code).toBe('NOT_FOUND');
    expect(seen).toHaveLength(2);
  });

  it('answers as the Lambda handler did, without an ETag of its own (no hash of every body)', async () => {
    // Express hashed every answer's body for an ETag (SHA-1, even a POST's): 3 % of the shim's CPU in a
    // flash sale (issue 19 profile), and API Gateway's answers never carried one.
    const answer = await fetch(`${base}/api/concerts/x`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toBeNull();
  });
});

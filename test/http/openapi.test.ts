import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../functions/core/jobs.service';
import { responseBodies } from '../../functions/handlers/http/response-schemas';
import { HTTP_ROUTES } from '../../functions/handlers/http/routes';
import { startTestService, TEST_ADMIN, type TestService } from '../support/test-service';

describe('the OpenAPI document', () => {
  let t: TestService;
  let document: any;

  beforeAll(async () => {
    t = await startTestService();
    document = (await t.api.request('GET', '/api/openapi.json')).body;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('validates as OpenAPI 3.1 with a maintained validator', async () => {
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeTruthy();
  });

  it('documents exactly the routes the service serves, and nothing else', async () => {
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    expect(documented).toEqual(HTTP_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    // And every documented route answers (never the shim's 404 for an unknown route).
    for (const key of documented) {
      const [method, path] = key.split(' ') as [string, string];
      const response = await t.api.request(
        method,
        path.replace('{id}', '00000000-0000-4000-8000-000000000000'),
      );
      expect(response.body?.error?.message ?? '', key).not.toMatch(/^No route for/);
    }
  });

  it('describes request bodies with the schemas the handlers validate with', () => {
    const reservation =
      document.paths['/api/reservations'].post.requestBody.content['application/json'].schema;
    expect(reservation.required).toEqual(expect.arrayContaining(['concertId', 'tierId', 'quantity']));
    expect(reservation.properties.quantity).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
  });

  it('documents success bodies, and every answer of a run through all routes matches them (strictly)', async () => {
    const checked = new Set<string>();
    const call = async (method: string, path: string, options: Parameters<typeof t.api.request>[2] = {}) => {
      const response = await t.api.request(method, path, options);
      const route = HTTP_ROUTES.find(
        (candidate) =>
          candidate.method === method &&
          new RegExp(`^${candidate.path.replace(/\{\w+\}/g, '[^/?]+')}(\\?.*)?$`).test(path),
      );
      expect(route, `${method} ${path}`).toBeDefined();
      const success = response.status < 300;
      const schema = success ? route?.response.body : responseBodies.error;
      const parsed = schema?.safeParse(response.body);
      expect(parsed?.success, `${method} ${path} ${response.status}: ${parsed?.error?.message}`).toBe(true);
      if (success) checked.add(`${route?.method} ${route?.path}`);
      return response;
    };
    const admin = (await call('POST', '/api/auth/login', { body: TEST_ADMIN })).body.token;
    const fan = (
      await call('POST', '/api/auth/register', {
        body: { email: 'schemas@example.test', password: 'a long password', name: 'Schema Fan' },
      })
    ).body.token;
    const concert = (
      await call('POST', '/api/concerts', {
        token: admin,
        body: {
          title: 'Documented',
          artist: 'The Schemas',
          venue: 'Hall',
          startsAt: new Date(Date.now() + 86_400_000).toISOString(),
          tiers: [{ name: 'GA', priceCents: 500, capacity: 10 }],
        },
      })
    ).body.concert;
    await call('PATCH', `/api/concerts/${concert.id}`, { token: admin, body: { venue: 'Bigger Hall' } });
    await call('GET', '/api/concerts');
    await call('GET', `/api/concerts/${concert.id}`);
    const hold = { concertId: concert.id, tierId: concert.tiers[0].id, quantity: 2 };
    const keyed = { token: fan, body: hold, headers: { 'idempotency-key': 'schema-1' } };
    const first = (await call('POST', '/api/reservations', keyed)).body.reservation;
    expect((await call('POST', '/api/reservations', keyed)).status).toBe(200);
    await call('GET', `/api/reservations/${first.id}`, { token: fan });
    await call('POST', `/api/reservations/${first.id}/confirm`, { token: fan });
    const second = (await call('POST', '/api/reservations', { token: fan, body: hold })).body.reservation;
    await call('DELETE', `/api/reservations/${second.id}`, { token: fan });
    await call('GET', '/api/me/reservations', { token: fan });
    await call('GET', '/api/me/tickets', { token: fan });
    const today = new Date().toISOString().slice(0, 10);
    await runJob(t.service.services.jobs, 'daily-report', { date: today });
    await call('GET', `/api/admin/reports/daily?date=${today}`, { token: admin });
    await call('GET', '/api/admin/sales', { token: admin });
    const queued = (
      await call('POST', '/api/concerts', {
        token: admin,
        body: {
          title: 'Queued',
          artist: 'The Schemas',
          venue: 'Hall',
          startsAt: new Date(Date.now() + 86_400_000).toISOString(),
          onSaleAt: new Date(Date.now() + 3_600_000).toISOString(),
          waitingRoom: { enabled: true, admissionPerMinute: 'auto' },
          tiers: [{ name: 'GA', priceCents: 500, capacity: 10 }],
        },
      })
    ).body.concert;
    await call('POST', `/api/concerts/${queued.id}/queue`, { token: fan });
    await call('GET', `/api/concerts/${queued.id}/queue`, { token: fan });
    await call('GET', `/api/admin/concerts/${queued.id}/queue`, { token: admin });
    await call('PATCH', `/api/admin/concerts/${queued.id}/queue`, { token: admin, body: { paused: true } });
    await call('GET', '/api/openapi.json');
    await call('GET', '/health');
    await call('GET', '/ready');
    // Refusals carry the error shape: a few of them.
    expect(
      (await call('POST', '/api/reservations', { token: fan, body: { ...hold, quantity: 50 } })).status,
    ).toBe(409);
    expect((await call('GET', '/api/me/tickets')).status).toBe(401);
    expect((await call('GET', `/api/reservations/${first.id}`, { token: admin.slice(0, -2) })).status).toBe(
      401,
    );

    expect([...checked].sort()).toEqual(HTTP_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    const concertGet =
      document.paths['/api/concerts/{id}'].get.responses['200'].content['application/json'].schema;
    expect(concertGet.properties.concert.required).toEqual(
      expect.arrayContaining(['id', 'availableTickets', 'totalBooked', 'tiers', 'version']),
    );
    expect(document.paths['/api/reservations'].post.responses).toHaveProperty('201');
    expect(document.paths['/api/reservations'].post.responses).toHaveProperty('200');
  });

  it('serves the interactive viewer at /api/docs', async () => {
    const page = await fetch(`${t.service.url}/api/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/swagger-ui/i);
    const initializer = await (await fetch(`${t.service.url}/api/docs/swagger-initializer.js`)).text();
    expect(initializer).toContain('/api/openapi.json');
  });
});

import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../../functions/handlers/http/routes';
import { startTestService, type TestService } from '../support/test-service';

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

  it('serves the interactive viewer at /api/docs', async () => {
    const page = await fetch(`${t.service.url}/api/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/swagger-ui/i);
    const initializer = await (await fetch(`${t.service.url}/api/docs/swagger-initializer.js`)).text();
    expect(initializer).toContain('/api/openapi.json');
  });
});

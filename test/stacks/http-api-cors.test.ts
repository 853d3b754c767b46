import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployProblems, environmentsFrom } from '../../stacks/config';
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_SECONDS } from '../../stacks/http-api';
import { startTestService, type TestService } from '../support/test-service';

// Issue 17: the HTTP API answers preflights as the shim does, so a browser client behaves the same on
// AWS and on the containers. The shim is the stand-in: its preflight answer is the reference.
describe('CORS on the HTTP API and in the shim', () => {
  const origin = 'https://tickets.example-shop.io';
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ FRONTEND_URL: origin });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('allows and exposes the same headers, for the same time, as the shim', async () => {
    const preflight = await fetch(`${service.service.url}/api/reservations`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    const list = (value: string | null) =>
      new Set((value ?? '').split(',').map((h) => h.trim().toLowerCase()));
    expect(list(preflight.headers.get('access-control-allow-headers'))).toEqual(new Set(CORS_ALLOW_HEADERS));
    expect(Number(preflight.headers.get('access-control-max-age'))).toBe(CORS_MAX_AGE_SECONDS);
    const simple = await fetch(`${service.service.url}/health`, { headers: { origin } });
    expect(list(simple.headers.get('access-control-expose-headers'))).toEqual(new Set(CORS_EXPOSE_HEADERS));
    for (const header of ['authorization', 'content-type', 'idempotency-key'])
      expect(CORS_ALLOW_HEADERS).toContain(header);
  });

  it('refuses at synth the FRONTEND_URL values the shim refuses', () => {
    for (const bad of ['https://tickets.example-shop.io/', 'tickets.example-shop.io', 'https://x.io/app']) {
      const settings = environmentsFrom({
        EMAIL_FROM: 'tickets@tickets.example-shop.io',
        FRONTEND_URL: bad,
      }).dev;
      expect(deployProblems(settings, { emailFromSet: true }), bad).toEqual([
        expect.stringContaining('FRONTEND_URL must list origins'),
      ]);
    }
    const good = environmentsFrom({
      EMAIL_FROM: 'tickets@tickets.example-shop.io',
      FRONTEND_URL: `${origin}, http://localhost:5173`,
    }).dev;
    expect(deployProblems(good, { emailFromSet: true })).toEqual([]);
  });
});

import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom, startNginx, type TestNginx } from '../support/nginx';
import { startTestService, type TestService } from '../support/test-service';

/** One request with its path sent exactly as written (fetch would normalise it), from `localAddress`. */
function rawGet(
  baseUrl: string,
  path: string,
  localAddress = '127.0.0.1',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { hostname, port, path, method: 'GET', localAddress, rejectUnauthorized: false, agent: false },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('nginx hides the internal paths however they are spelled, and forwards the client address', () => {
  let t: TestService;
  let nginx: TestNginx;

  beforeAll(async () => {
    t = await startTestService({ TRUST_PROXY: '1', LOGIN_ATTEMPTS_PER_MINUTE: '10' });
    nginx = await startNginx([`127.0.0.1:${t.service.port}`], { withoutRateLimits: true });
  });
  afterAll(async () => {
    await nginx?.stop();
    await t?.close();
  });

  it('answers every spelling of /metrics and /@connections itself, never from a backend', async () => {
    // The backend does serve them to its neighbours.
    expect((await fetch(`${t.service.url}/metrics`)).status).toBe(200);
    const spellings = [
      '/metrics',
      '/metrics/',
      '/METRICS',
      '/Metrics',
      '/metrics?x=1',
      '//metrics',
      '/./metrics',
      '/api/../metrics',
      '/%6detrics',
      '/%6Detrics/',
      '/@connections/abc',
      '/@Connections/abc',
      '/@CONNECTIONS/abc',
      '/%40connections/abc',
      '//@connections/abc',
      '/./@connections/abc',
      '/api/%2e%2e/@connections/abc',
    ];
    for (const path of spellings) {
      const response = await rawGet(nginx.httpsUrl, path);
      expect(response.status, path).toBe(404);
      expect(response.headers['x-instance-id'], `${path} reached a backend`).toBeUndefined();
      expect(response.body, path).not.toMatch(/http_requests_total/);
    }
    // The API next to them is still served.
    expect((await rawGet(nginx.httpsUrl, '/health')).status).toBe(200);
  });

  it('with TRUST_PROXY=1, limits by the address nginx saw, whatever X-Forwarded-For the client wrote', async () => {
    const login = (from: string, i: number) =>
      clientFrom(from, nginx.httpsUrl).request('POST', '/api/auth/login', {
        body: { email: `nobody-${i}@example.test`, password: 'wrong-password' },
        headers: { 'x-forwarded-for': `10.9.${i}.1` },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await login('127.0.0.41', i)).status);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(15);
    // Another client behind the same nginx has its own allowance.
    expect((await login('127.0.0.42', 99)).status).toBe(401);
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServices } from '../../functions/composition/services';
import { loadConfig } from '../../functions/config/service-config';
import { useServices } from '../../functions/handlers/lambda-runtime';
import type { RunningService } from '../../local/service';
import { startService } from '../../local/service';
import { capturingLogger } from '../support/log-capture';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { ApiClient, TEST_ADMIN } from '../support/test-service';

describe('logs', () => {
  let database: TestDatabase;
  let service: RunningService;
  let api: ApiClient;
  let logged: Awaited<ReturnType<typeof buildServices>>;
  const captured = capturingLogger('info');
  const { lines } = captured;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: database.url,
      DATA_DIR: await mkdtemp(join(tmpdir(), 'cts-logs-')),
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      LOG_LEVEL: 'info',
    });
    service = await startService(config);
    // Swap in services whose logger writes here, so every line the handlers write can be read.
    logged = await buildServices(config, { logger: captured.logger });
    useServices(logged);
    api = new ApiClient(service.url);
  });
  afterAll(async () => {
    await service?.stop(1_000);
    await logged?.close();
    await database?.drop();
  });

  it('write one JSON line per request with route, status, latency and request id; never a password or token', async () => {
    const password = 'correct horse battery staple';
    const token = await api.register('logs@example.test', password);
    await api.login('logs@example.test', password);
    await api.request('POST', '/api/auth/login', {
      body: { email: 'logs@example.test', password: `${password}!` },
    });
    await api.request('GET', '/api/me/tickets', { token, headers: { 'x-request-id': 'trace-me-42' } });
    await api.request('GET', '/api/me/tickets', { token: `${token}x` });

    const entries = lines.map((line) => JSON.parse(line));
    const requests = entries.filter((e) => e.msg === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(5);
    const traced = requests.find((e) => e.requestId === 'trace-me-42');
    expect(traced).toMatchObject({
      route: 'me-tickets',
      status: 200,
      method: 'GET',
      path: '/api/me/tickets',
    });
    expect(traced.userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof traced.latencyMs).toBe('number');
    expect(requests.find((e) => e.route === 'auth-login' && e.status === 401)).toMatchObject({
      errorCode: 'INVALID_CREDENTIALS',
    });
    for (const line of lines) {
      expect(line).not.toContain(password);
      expect(line).not.toContain(token);
      expect(line).not.toContain(TEST_ADMIN.password);
      expect(line.toLowerCase()).not.toContain('bearer ');
    }
  });
});

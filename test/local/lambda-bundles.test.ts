import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { migrate } from '../../functions/db/migrate';
import { buildLambdas } from '../../tools/build-lambdas';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const run = promisify(execFile);

/** Invokes a bundle in a plain Node process (no tsx), the way the Lambda runtime imports it. */
async function invoke(bundle: string, event: unknown, env: Record<string, string>): Promise<any> {
  const script = `const { handler } = await import(${JSON.stringify(bundle)});
    const result = await handler(${JSON.stringify(event)}, { awsRequestId: 'r1', getRemainingTimeInMillis: () => 3000 });
    process.stdout.write(JSON.stringify(result)); process.exit(0);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
  });
  return JSON.parse(stdout);
}

const httpEvent = (method: string, path: string, body?: unknown) => ({
  version: '2.0',
  routeKey: `${method} ${path}`,
  rawPath: path,
  rawQueryString: '',
  headers: { 'content-type': 'application/json' },
  requestContext: { http: { method, path, sourceIp: '203.0.113.9' }, requestId: 'req-1' },
  body: body === undefined ? undefined : JSON.stringify(body),
  isBase64Encoded: false,
});

describe('Lambda bundles (npm run build)', () => {
  let database: TestDatabase;
  let outDir: string;
  let sizes: Array<{ name: string; bytes: number }>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = new PgDatabase({ connectionString: database.url, maxConnections: 1 });
    await migrate(db);
    await db.close();
    outDir = await mkdtemp(join(tmpdir(), 'cts-lambda-'));
    sizes = await buildLambdas(outDir);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('builds one bundle per function: HTTP, WebSocket and the relay', () => {
    expect(sizes.map((s) => s.name)).toEqual(
      expect.arrayContaining(['reservations-create', 'ws-connect', 'ws-message', 'ws-disconnect', 'relay']),
    );
    for (const { bytes } of sizes) expect(bytes).toBeGreaterThan(1000);
  });

  it('serve API Gateway v2 events from plain Node, configured by the environment alone', async () => {
    const env = {
      DATABASE_URL: database.url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      NODE_ENV: 'production',
    };
    const bundle = (name: string) => resolve(outDir, name, 'index.mjs');

    const registered = await invoke(
      bundle('auth-register'),
      httpEvent('POST', '/api/auth/register', {
        email: 'lambda@example.test',
        password: 'password-1',
        name: 'L',
      }),
      env,
    );
    expect(registered.statusCode).toBe(201);
    expect(JSON.parse(registered.body).user.email).toBe('lambda@example.test');

    const refused = await invoke(
      bundle('reservations-create'),
      httpEvent('POST', '/api/reservations', {}),
      env,
    );
    expect(refused.statusCode).toBe(401);
    expect(JSON.parse(refused.body).error.code).toBe('UNAUTHORIZED');

    const misconfigured = await invoke(bundle('concerts-list'), httpEvent('GET', '/api/concerts'), {
      ...env,
      JWT_SECRET: '',
    });
    expect(misconfigured.statusCode).toBe(500);
    expect(JSON.parse(misconfigured.body)).toEqual({
      error: { code: 'INTERNAL', message: expect.any(String) },
    });
  });
});

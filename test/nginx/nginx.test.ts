import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Concert } from '../../functions/core/model';
import { clientFrom, startNginx, type TestNginx } from '../support/nginx';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { freePort, replicaEnv, type ServiceProcess, spawnServer, waitForReady } from '../support/processes';
import { rawClient, socketIoClient } from '../support/realtime-clients';
import { dropRedisPrefix, testRedisPrefix } from '../support/redis';
import type { ApiClient } from '../support/test-service';

// The certificate is self-signed for this run only.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

let nextAddress = 10;
const freshClient = (baseUrl: string) => clientFrom(`127.0.0.${nextAddress++}`, baseUrl);

describe('Debian nginx from the project config, in front of two backends', () => {
  const prefix = testRedisPrefix();
  const admin = { ADMIN_EMAIL: 'boss@example.test', ADMIN_PASSWORD: 'boss-password' };
  let database: TestDatabase;
  let nginx: TestNginx;
  const ports: number[] = [];
  const backends: Array<ServiceProcess | undefined> = [];
  let env: Record<string, string>;
  let concert: Concert;

  const startBackend = async (i: number) => {
    backends[i] = spawnServer({ ...env, PORT: String(ports[i]), INSTANCE_ID: `backend-${i + 1}` });
    await waitForReady(`http://127.0.0.1:${ports[i]}`);
  };

  const untilServedBy = async (instance: string) => {
    const api = freshClient(nginx.httpsUrl);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if ((await api.request('GET', '/health')).headers.get('x-instance-id') === instance) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`nginx did not route to ${instance} again`);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    env = replicaEnv(database.url, prefix, {
      TICKETS_PER_USER_LIMIT: '0',
      HOLDS_PER_USER_LIMIT: '0',
      REALTIME_COALESCE_MS: '100',
      LOGIN_ATTEMPTS_PER_MINUTE: '1000',
      ...admin,
    });
    ports.push(await freePort(), await freePort());
    await startBackend(0);
    await startBackend(1);
    nginx = await startNginx(ports.map((port) => `127.0.0.1:${port}`));
    const api = freshClient(nginx.httpsUrl);
    const token = await api.login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);
    concert = await api.createConcert(token, [
      { name: 'Floor', priceCents: 5000, capacity: 500 },
      { name: 'Balcony', priceCents: 3000, capacity: 500 },
    ]);
  });
  afterAll(async () => {
    await nginx?.stop();
    for (const backend of backends) backend?.child.kill('SIGKILL');
    await database?.drop();
    await dropRedisPrefix(prefix);
  });

  it('passes nginx -t and redirects HTTP to HTTPS', async () => {
    expect(await nginx.test()).toMatch(/test is successful/);
    const response = await fetch(`${nginx.httpUrl}/api/concerts`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe(
      `${nginx.httpsUrl.replace('127.0.0.1', '127.0.0.1')}/api/concerts`,
    );
  });

  it('spreads requests over both backends, with security headers, gzip and a request id', async () => {
    const api = freshClient(nginx.httpsUrl);
    const instances = new Set<string | null>();
    for (let i = 0; i < 10; i++)
      instances.add((await api.request('GET', '/health')).headers.get('x-instance-id'));
    expect(instances).toEqual(new Set(['backend-1', 'backend-2']));

    const dispatcher = new Agent({ localAddress: '127.0.0.9', connect: { rejectUnauthorized: false } });
    const raw = await undiciFetch(`${nginx.httpsUrl}/api/concerts`, {
      headers: { 'accept-encoding': 'gzip' },
      dispatcher,
    });
    expect(raw.headers.get('content-encoding')).toBe('gzip');
    expect(raw.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(raw.headers.get('x-content-type-options')).toBe('nosniff');
    expect(raw.headers.get('x-frame-options')).toBe('DENY');
    expect(raw.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(raw.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(raw.headers.get('server')).toBe('nginx');
    const body = (await raw.json()) as { concerts: unknown[] };
    expect(body.concerts.length).toBeGreaterThan(0);

    expect((await api.request('POST', '/@connections/anything', { rawBody: '{}' })).status).toBe(404);
  });

  it('carries WebSocket and Socket.IO live updates through nginx', async () => {
    const api = freshClient(nginx.httpsUrl);
    const fan = await api.register('nginx-fan@example.test');
    const ws = await rawClient(nginx.httpsUrl);
    const sio = await socketIoClient(nginx.httpsUrl, undefined, { rejectUnauthorized: false });
    try {
      ws.send({ action: 'join-concert', concertId: concert.id });
      sio.socket.emit('join-concert', concert.id);
      const before = await ws.inbox.next((m) => m.type === 'concert-update');
      await sio.inbox.next((m) => m.type === 'concert-update');
      const sale = await api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 2 },
      });
      expect(sale.status).toBe(201);
      const target = before.availableTickets - 2;
      await ws.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === target);
      await sio.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === target);
    } finally {
      ws.close();
      sio.close();
    }
  });

  it('keeps the admin WebSocket token out of the access log', async () => {
    const token = await freshClient(nginx.httpsUrl).login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);
    const console = await rawClient(nginx.httpsUrl, token);
    console.send({ action: 'join-admin' });
    console.close();
    // The line is written when the socket closes.
    const accessLog = () => readFile(join(nginx.prefix, 'logs/access.log'), 'utf8');
    await expect.poll(accessLog, { timeout: 10_000 }).toContain('"uri":"/ws?token=[redacted]"');
    const log = await accessLog();
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.')[2]);
  });

  it('answers the 101st API request in a minute, and the 11th login, with 429 in the contract shape', async () => {
    const api = freshClient(nginx.httpsUrl);
    const statuses: number[] = [];
    let last: Awaited<ReturnType<ApiClient['request']>> | undefined;
    for (let i = 0; i < 101; i++) {
      last = await api.request('GET', `/api/concerts/${concert.id}`);
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
    // After the burst of 20 one more is let through every 600 ms, so the 101st may land on such a slot:
    // the refusals are what counts, and the last answer is one of them when it is refused.
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(60);
    if (last?.status !== 429) last = await api.request('GET', `/api/concerts/${concert.id}`);
    expect(last?.status).toBe(429);
    expect(last?.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect(last?.headers.get('retry-after')).toBe('60');
    // nginx's own refusal keeps the security headers (a location's add_header used to drop the server's).
    expect(last?.headers.get('strict-transport-security')).toMatch(/max-age=31536000/);
    expect(last?.headers.get('content-security-policy')).toMatch(/default-src 'self'/);

    const logins = freshClient(nginx.httpsUrl);
    const loginStatuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      loginStatuses.push(
        (
          await logins.request('POST', '/api/auth/login', {
            body: { email: 'boss@example.test', password: 'nope' },
          })
        ).status,
      );
    }
    expect(loginStatuses[0]).toBe(401);
    expect(loginStatuses[10]).toBe(429);
  });

  it('rolls a backend (SIGTERM under load) without a single 5xx reaching the client', async () => {
    const fan = await freshClient(nginx.httpsUrl).register('rolling@example.test');
    const statuses: number[] = [];
    let stop = false;
    const worker = async (w: number) => {
      const api = freshClient(nginx.httpsUrl);
      for (let i = 0; !stop; i++) {
        const response =
          i % 3 === 2
            ? await api.request('POST', '/api/reservations', {
                token: fan,
                headers: { 'idempotency-key': `roll-${w}-${i}` },
                body: { concertId: concert.id, tierId: concert.tiers[1]?.id, quantity: 1 },
              })
            : await api.request('GET', i % 2 ? `/api/concerts/${concert.id}` : '/health');
        statuses.push(response.status);
        await new Promise((resolve) => setTimeout(resolve, 80)); // under each client's rate limit
      }
    };
    const load = Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker));
    // Load under way before the stop, and as much again once the backend has exited.
    await expect.poll(() => statuses.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(40);
    backends[1]?.child.kill('SIGTERM');
    expect(await backends[1]?.exited).toBe(0);
    const afterStop = statuses.length;
    await expect.poll(() => statuses.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(afterStop + 40);
    stop = true;
    await load;
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(statuses.filter((status) => status !== 200 && status !== 201)).toEqual([]);
    await startBackend(1);
    // nginx rests a failed backend for fail_timeout (10 s): wait until it routes to the new one.
    await untilServedBy('backend-2');
  });

  it('loses no GET when a backend is killed mid-run: the other takes over', async () => {
    await untilServedBy('backend-1');
    await untilServedBy('backend-2');
    const api = freshClient(nginx.httpsUrl);
    const results: Array<{ status: number; instance: string | null }> = [];
    for (let i = 0; i < 40; i++) {
      if (i === 15) backends[0]?.child.kill('SIGKILL');
      const response = await api.request('GET', '/health');
      results.push({ status: response.status, instance: response.headers.get('x-instance-id') });
    }
    // On failure, nginx's own account of it (which upstream it tried, and why it gave up).
    const errors = await readFile(join(nginx.prefix, 'logs/error.log'), 'utf8').catch(() => '');
    expect(
      results.filter((r) => r.status !== 200),
      errors.split('\n').slice(-15).join('\n'),
    ).toEqual([]);
    expect(results.slice(20).every((r) => r.instance === 'backend-2')).toBe(true);
  });
});

import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config/service-config';
import { type RunningService, startService } from '../../local/service';
import { expectNoOversell } from '../support/invariants';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { freePort } from '../support/processes';
import { ApiClient, TEST_ADMIN } from '../support/test-service';

/** A TCP hop to the real PostgreSQL that the test can cut (as a restart or a network loss would). */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(5432, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
  }

  async cut(): Promise<void> {
    const closed = new Promise((resolve) => this.server?.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

describe('PostgreSQL going away during sales and coming back', () => {
  let database: TestDatabase;
  let proxy: CuttableProxy;
  let service: RunningService;
  let api: ApiClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = new CuttableProxy(await freePort());
    await proxy.open();
    const url = new URL(database.url);
    url.port = String(proxy.port);
    service = await startService(
      loadConfig({
        PORT: '0',
        DATABASE_URL: url.toString(),
        JWT_SECRET: randomBytes(32).toString('hex'),
        ADMIN_EMAIL: TEST_ADMIN.email,
        ADMIN_PASSWORD: TEST_ADMIN.password,
        TICKETS_PER_USER_LIMIT: '0',
        HOLDS_PER_USER_LIMIT: '0',
        LOG_LEVEL: 'silent',
      }),
    );
    api = new ApiClient(service.url);
  });
  afterAll(async () => {
    await service?.stop(1_000);
    await database?.drop();
  });

  it('answers 503 SERVICE_UNAVAILABLE (no hang, no stack), goes unready, and recovers without a restart', async () => {
    const admin = await api.adminToken();
    const fan = await api.register('outage@example.test');
    const concert = await api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 100 }]);
    const body = { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 };
    expect((await api.request('POST', '/api/reservations', { token: fan, body })).status).toBe(201);

    await proxy.cut();
    const started = Date.now();
    const during = await Promise.all(
      Array.from({ length: 10 }, () => api.request('POST', '/api/reservations', { token: fan, body })),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const response of during) {
      expect(response.status).toBe(503);
      expect(response.body).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) } });
      expect(response.headers.get('retry-after')).toBeTruthy();
    }
    expect((await api.request('GET', '/ready')).status).toBe(503);
    expect((await api.request('GET', '/health')).status).toBe(200);

    await proxy.open();
    const ready = async () => (await api.request('GET', '/ready')).status;
    await expect.poll(ready, { timeout: 15_000, interval: 200 }).toBe(200);
    expect((await api.request('POST', '/api/reservations', { token: fan, body })).status).toBe(201);

    const [{ n } = { n: -1 }] = (await service.services.db.query(
      'SELECT count(*)::int AS n FROM reservations',
    )) as Array<{ n: number }>;
    expect(n).toBe(2);
    await expectNoOversell(service.services.db);
  });
});

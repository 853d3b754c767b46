import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoOversell } from '../support/invariants';
import { clientFrom, startNginx, type TestNginx } from '../support/nginx';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { freePort, replicaEnv, type ServiceProcess, spawnServer, waitForReady } from '../support/processes';
import { dropRedisPrefix, testRedisPrefix } from '../support/redis';
import type { ApiClient } from '../support/test-service';

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

describe('a backend SIGKILLed during a reservation storm behind nginx', () => {
  const prefix = testRedisPrefix();
  let database: TestDatabase;
  let nginx: TestNginx;
  const backends: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = replicaEnv(database.url, prefix, {
      ADMIN_EMAIL: 'boss@example.test',
      ADMIN_PASSWORD: 'boss-password',
      TICKETS_PER_USER_LIMIT: '0',
      HOLDS_PER_USER_LIMIT: '0',
      // Every buyer of the storm signs up from this one machine, behind one nginx.
      REGISTRATIONS_PER_ADDRESS_PER_MINUTE: '0',
      TRUST_PROXY: '1',
    });
    const ports = [await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) {
      backends.push(spawnServer({ ...env, PORT: String(port), INSTANCE_ID: `backend-${i + 1}` }));
      await waitForReady(`http://127.0.0.1:${port}`);
    }
    nginx = await startNginx(ports.map((port) => `127.0.0.1:${port}`));
  });
  afterAll(async () => {
    await nginx?.stop();
    for (const backend of backends) backend.child.kill('SIGKILL');
    await database?.drop();
    await dropRedisPrefix(prefix);
  });

  it('loses no confirmed reservation, oversells nothing, and shows clients only success or clean errors', async () => {
    const admin = clientFrom('127.0.0.60', nginx.httpsUrl);
    const concert = await admin.createConcert(await admin.login('boss@example.test', 'boss-password'), [
      { name: 'GA', priceCents: 100, capacity: 60, maxPerOrder: 2 },
    ]);
    const confirmed: string[] = [];
    const statuses: number[] = [];
    const finishedAt: number[] = [];
    const clean: boolean[] = [];
    const clients = Array.from({ length: 12 }, (_, n) => clientFrom(`127.0.0.${70 + n}`, nginx.httpsUrl));
    const tokens = await Promise.all(clients.map((api, n) => api.register(`storm-${n}@example.test`)));
    const fan = async (n: number) => {
      const api = clients[n] as ApiClient;
      const token = tokens[n] as string;
      for (let i = 0; i < 6; i++) {
        const hold = await api.request('POST', '/api/reservations', {
          token,
          headers: { 'idempotency-key': `storm-${n}-${i}` },
          body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: (i % 2) + 1 },
        });
        statuses.push(hold.status);
        finishedAt.push(Date.now());
        clean.push(
          typeof hold.body?.reservation?.id === 'string' || typeof hold.body?.error?.code === 'string',
        );
        if (hold.status !== 201 && hold.status !== 200) continue;
        const confirm = await api.request('POST', `/api/reservations/${hold.body.reservation.id}/confirm`, {
          token,
        });
        statuses.push(confirm.status);
        clean.push(
          typeof confirm.body?.reservation?.id === 'string' || typeof confirm.body?.error?.code === 'string',
        );
        if (confirm.status === 200) confirmed.push(hold.body.reservation.id);
      }
    };
    const storm = Promise.all(Array.from({ length: 12 }, (_, n) => fan(n)));
    await expect.poll(() => finishedAt.length, { timeout: 30_000, interval: 10 }).toBeGreaterThanOrEqual(15);
    const killedAt = Date.now();
    backends[0]?.child.kill('SIGKILL');
    await storm;
    expect(
      finishedAt.filter((at) => at > killedAt).length,
      'the storm went on after the kill',
    ).toBeGreaterThan(10);

    expect(clean.every(Boolean)).toBe(true);
    expect(statuses.every((s) => [200, 201, 409, 503].includes(s))).toBe(true);
    expect(confirmed.length).toBeGreaterThan(0);
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT r.id, r.status, count(t.id)::int AS tickets, r.quantity FROM reservations r
           LEFT JOIN tickets t ON t.reservation_id = r.id WHERE r.id = ANY($1::uuid[]) GROUP BY r.id`,
        [confirmed],
      );
      expect(rows).toHaveLength(confirmed.length);
      for (const row of rows) expect(row).toMatchObject({ status: 'confirmed', tickets: row.quantity });
      await expectNoOversell({
        query: async (text, params) => (await db.query(text, params as unknown[])).rows,
      });
    } finally {
      await db.end();
    }
  });
});

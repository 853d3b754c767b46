import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { freePort, spawnServer, waitForReady } from '../support/processes';
import { ApiClient } from '../support/test-service';

describe('the service as a process (npm start)', () => {
  it('stops at once with one line naming a bad variable', async () => {
    for (const [env, variable] of [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ DATABASE_URL: 'mysql://nope' }, 'DATABASE_URL'],
      [{ ADMIN_EMAIL: 'boss@example.test' }, 'ADMIN_PASSWORD'],
      [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
      [{ SCHEDULE_TIMEZONE: 'Mars/Olympus' }, 'SCHEDULE_TIMEZONE'],
    ] as const) {
      const server = spawnServer({ ...env });
      expect(await server.exited).toBe(1);
      const lines = server.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^Configuration error: .*${variable}`));
    }
  });

  it('runs on the embedded database with no configuration, and keeps data and sessions across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cts-embedded-'));
    const port = await freePort();
    const api = new ApiClient(`http://127.0.0.1:${port}`);
    const first = spawnServer({ PORT: String(port), DATA_DIR: dataDir, INSTANCE_ID: 'embedded-1' });
    try {
      await waitForReady(api.baseUrl);
      const health = await api.request('GET', '/health');
      expect(health.body).toEqual({ status: 'ok' });
      expect(health.headers.get('x-instance-id')).toBe('embedded-1');
      // A newcomer's first start: the sample concerts, and the web page at `/` (any page address).
      const concerts = await api.request('GET', '/api/concerts');
      expect(concerts.body.concerts.map((concert: { title: string }) => concert.title).sort()).toEqual([
        'Flash Sale Live',
        'Midnight Echoes',
        'Strings at Sunset',
      ]);
      for (const path of ['/', '/concerts/some-id']) {
        const page = await fetch(`${api.baseUrl}${path}`, { headers: { accept: 'text/html' } });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<div id="root"></div>');
      }
      expect((await api.request('GET', '/no-such-thing')).status).toBe(404);
      const token = await api.register('embedded@example.test');
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      const second = spawnServer({ PORT: String(port), DATA_DIR: dataDir });
      try {
        await waitForReady(api.baseUrl);
        expect((await api.request('GET', '/api/me/tickets', { token })).status).toBe(200);
        expect((await api.login('embedded@example.test', 'password-123')).length).toBeGreaterThan(20);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      first.child.kill('SIGKILL');
    }
  }, 120_000);

  it('prints the first start’s organiser as a plain block (never in a log line) that signs in', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cts-first-start-'));
    const port = await freePort();
    const api = new ApiClient(`http://127.0.0.1:${port}`);
    const server = spawnServer({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    try {
      await waitForReady(api.baseUrl, 90_000);
      await expect.poll(() => server.output()).toContain('Password');
      const password = server.output().match(/│\s+Password\s+(\S+)/)?.[1] ?? '';
      expect(password.length).toBeGreaterThanOrEqual(16);
      const logLines = server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'));
      expect(logLines.filter((line) => line.includes(password))).toEqual([]);
      expect(server.output()).toContain('create-admin --email admin@example.com');
      expect((await api.login('admin@example.com', password)).length).toBeGreaterThan(20);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 120_000);

  it('keeps an answered hold on the embedded database when the process is SIGKILLed right after', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cts-embedded-kill-'));
    const port = await freePort();
    const api = new ApiClient(`http://127.0.0.1:${port}`);
    const first = spawnServer({ PORT: String(port), DATA_DIR: dataDir });
    let second: ReturnType<typeof spawnServer> | undefined;
    try {
      await waitForReady(api.baseUrl, 90_000).catch((error) => {
        throw new Error(`${error}: ${first.output()}`);
      });
      const fan = await api.register('durable@example.test');
      const concert = (await api.request('GET', '/api/concerts')).body.concerts[0];
      const hold = await api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0].id, quantity: 1 },
      });
      expect(hold.status).toBe(201);
      first.child.kill('SIGKILL');
      await first.exited;

      second = spawnServer({ PORT: String(port), DATA_DIR: dataDir });
      await waitForReady(api.baseUrl, 90_000).catch((error) => {
        throw new Error(`${error}: ${second?.output()}`);
      });
      const after = await api.request('GET', `/api/reservations/${hold.body.reservation.id}`, { token: fan });
      expect(after.status).toBe(200);
      expect(after.body.reservation.status).toBe('held');
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      await second?.exited;
    }
  }, 240_000);

  describe('on PostgreSQL', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('finishes an in-flight reservation on SIGTERM before exiting', async () => {
      const port = await freePort();
      const api = new ApiClient(`http://127.0.0.1:${port}`);
      const admin = { ADMIN_EMAIL: 'boss@example.test', ADMIN_PASSWORD: 'boss-password' };
      const server = spawnServer({
        PORT: String(port),
        DATABASE_URL: database.url,
        JWT_SECRET: randomBytes(32).toString('hex'),
        LOG_LEVEL: 'info',
        ...admin,
      });
      const locker = new pg.Client({ connectionString: database.url });
      try {
        await waitForReady(api.baseUrl);
        const adminToken = await api.login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);
        const concert = await api.createConcert(adminToken, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
        const fan = await api.register('drain@example.test');

        // Hold the tier row so the reservation is still running when SIGTERM arrives.
        await locker.connect();
        await locker.query('BEGIN');
        await locker.query('SELECT * FROM ticket_tiers WHERE id = $1 FOR UPDATE', [concert.tiers[0]?.id]);
        const inFlight = api.request('POST', '/api/reservations', {
          token: fan,
          body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
        });
        // SIGTERM only once the reservation is really waiting on the locked row, however slow the machine.
        const waiting = async () =>
          (
            await locker.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
            )
          ).rows[0].n as number;
        await expect.poll(waiting).toBeGreaterThan(0);
        server.child.kill('SIGTERM');
        // The server has taken the signal (it says so) while the reservation still waits on the row.
        await expect.poll(server.output).toContain('draining in-flight requests');
        await locker.query('COMMIT');

        const response = await inFlight;
        expect(response.status).toBe(201);
        expect(await server.exited).toBe(0);
        const rows = await locker.query('SELECT count(*)::int AS n FROM reservations');
        expect(rows.rows[0].n).toBe(1);
      } finally {
        server.child.kill('SIGKILL');
        await locker.end().catch(() => undefined);
      }
    });
  });
});

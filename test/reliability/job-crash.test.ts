import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { migrate } from '../../functions/db/migrate';
import { expectNoOversell } from '../support/invariants';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const run = promisify(execFile);

describe('a job killed mid-run, then run again', () => {
  let database: TestDatabase;
  let db: PgDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = new PgDatabase({ connectionString: database.url, maxConnections: 2 });
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('ends exactly where one clean run would: every overdue hold expired once, the books right', async () => {
    // 30,000 overdue holds over 50 tiers: enough work that the kill lands while the job runs.
    await db.query(
      `INSERT INTO users (email, name, password_hash, role) VALUES ('crash@x.test', 'C', 'h', 'customer')`,
    );
    await db.query(`
      WITH c AS (INSERT INTO concerts (title, artist, venue, starts_at, status)
                 SELECT 'Crash ' || g, 'A', 'V', now() + interval '7 days', 'on-sale' FROM generate_series(1, 50) g RETURNING id)
      INSERT INTO ticket_tiers (concert_id, position, name, price_cents, currency, capacity, available, max_per_order)
      SELECT id, 1, 'GA', 100, 'USD', 1000, 400, 10 FROM c`);
    await db.query(`
      INSERT INTO reservations (user_id, concert_id, tier_id, quantity, total_cents, currency, status, expires_at)
      SELECT (SELECT id FROM users LIMIT 1), t.concert_id, t.id, 1, 100, 'USD', 'held', now() - interval '1 minute'
        FROM ticket_tiers t, generate_series(1, 600) g`);
    await expectNoOversell(db);

    const env = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: database.url,
      LOG_LEVEL: 'silent',
      JWT_SECRET: 'j'.repeat(40),
    };
    const job = spawn(
      process.execPath,
      ['--import', 'tsx', 'local/cli.ts', 'scheduled-job', 'expire-holds'],
      {
        env,
        stdio: 'ignore',
      },
    );
    // The job's sessions whose query (running, or last if `any`) releases holds; not this test's own.
    const releasing = async (state: 'active' | 'any') => {
      const [{ n } = { n: 0 }] = (await db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND query NOT LIKE '%pg_stat_activity%'
            AND query LIKE '%release_overdue_holds%' AND ($1 = 'any' OR state = 'active')`,
        [state],
      )) as Array<{ n: number }>;
      return n;
    };
    // Kill it once it is working (its run is recorded only at the end) ...
    await expect.poll(() => releasing('active'), { timeout: 30_000, interval: 20 }).toBeGreaterThan(0);
    job.kill('SIGKILL');
    await new Promise((resolve) => job.once('exit', resolve));
    // ... and run it again once the server has ended the dead job's session.
    await expect.poll(() => releasing('any'), { timeout: 30_000, interval: 50 }).toBe(0);

    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'local/cli.ts', 'scheduled-job', 'expire-holds'],
      {
        env,
      },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(report.outcome).toBe('succeeded');

    const [state] = await db.query(
      `SELECT count(*) FILTER (WHERE status = 'held')::int AS held, count(*) FILTER (WHERE status = 'expired')::int AS expired,
              (SELECT sum(available)::int FROM ticket_tiers) AS available FROM reservations`,
    );
    expect(state).toEqual({ held: 0, expired: 30_000, available: 50 * 1000 });
    await expectNoOversell(db);
  });
});

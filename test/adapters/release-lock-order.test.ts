import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { migrate } from '../../functions/db/migrate';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/**
 * Review finding (the deadlock kind): a hold batch owns its tier row and then releases the tier's overdue
 * holds; the expire-holds job locked the overdue holds first and the tier after. Real PostgreSQL, two
 * sessions, the interleaving forced by waiting until the job is seen waiting on a lock.
 */
describe('releasing overdue holds takes concert, tier, then reservations, on every path', () => {
  let database: TestDatabase;
  let db: PgDatabase;
  const sessions: pg.Client[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new PgDatabase({ connectionString: database.url, maxConnections: 4 });
    expect(await migrate(db)).toContain('009_release_lock_order.sql');
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.end().catch(() => undefined)));
    await db?.close();
    await database?.drop();
  });

  const session = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    sessions.push(client);
    return client;
  };

  it('lets a hold that owns the tier release its overdue holds while the job waits (no deadlock)', async () => {
    const [user] = await db.query<{ id: string }>(
      `INSERT INTO users (email, name, password_hash, role) VALUES ('lock@x.test', 'L', 'h', 'customer') RETURNING id`,
    );
    const [concert] = await db.query<{ id: string }>(
      `INSERT INTO concerts (title, artist, venue, starts_at, status)
       VALUES ('T', 'A', 'V', now() + interval '7 days', 'on-sale') RETURNING id`,
    );
    const [tier] = await db.query<{ id: string }>(
      `INSERT INTO ticket_tiers (concert_id, position, name, price_cents, currency, capacity, available, max_per_order)
       VALUES ($1, 1, 'GA', 100, 'EUR', 3, 1, 10) RETURNING id`,
      [concert?.id as string],
    );
    await db.query(
      `INSERT INTO reservations (user_id, concert_id, tier_id, quantity, total_cents, currency, status, expires_at)
       VALUES ($1, $2, $3, 2, 200, 'EUR', 'held', now() - interval '1 minute')`,
      [user?.id as string, concert?.id as string, tier?.id as string],
    );

    const hold = await session();
    const job = await session();
    const [{ pid: jobPid } = { pid: 0 }] = (
      await job.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    ).rows;
    // The hold path: its batch statement already owns the tier row (an earlier member's claim).
    await hold.query('BEGIN');
    await hold.query('SELECT 1 FROM concerts WHERE id = $1 FOR SHARE', [concert?.id]);
    await hold.query('SELECT 1 FROM ticket_tiers WHERE id = $1 FOR UPDATE', [tier?.id]);
    // The expire-holds job starts and must wait on the tier, not take the overdue hold first.
    const jobRun = job.query('SELECT * FROM release_overdue_holds(NULL)').then(
      (result) => ({ ok: true as const, rows: result.rows }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await expect
      .poll(async () => {
        const [row] = await db.query<{ wait: string | null }>(
          'SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1',
          [jobPid],
        );
        return row?.wait;
      })
      .toBe('Lock');
    // A later member of the batch finds the tier short and releases its overdue holds.
    const released = await hold.query('SELECT released FROM release_overdue_holds($1::uuid)', [tier?.id]);
    await hold.query('COMMIT');
    const jobResult = await jobRun;

    expect(jobResult.ok, jobResult.ok ? '' : String((jobResult as { error: unknown }).error)).toBe(true);
    expect(released.rows).toEqual([{ released: 2 }]);
    const [after] = await db.query<{ available: number }>(
      'SELECT available FROM ticket_tiers WHERE id = $1',
      [tier?.id as string],
    );
    expect(after?.available).toBe(3);
  });
});

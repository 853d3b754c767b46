/**
 * Found by bench/waiting-room.ts (issue 20): at on-sale, joins queued for a pool connection longer than
 * the pool's fixed 5 s and were answered 503 although the database was fine, only busy. A query now
 * waits up to DB_POOL_WAIT_MS (default 15 s) for a connection, and still fails 503 past it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

describe('PgDatabase waiting for a pool connection', () => {
  let database: TestDatabase;
  const opened: PgDatabase[] = [];
  const open = (poolWaitMs?: number) => {
    const db = new PgDatabase({
      connectionString: database.url,
      maxConnections: 1,
      ...(poolWaitMs === undefined ? {} : { poolWaitMs }),
    });
    opened.push(db);
    return db;
  };
  /** Holds the pool's one connection in a transaction until `release` is called. */
  const hold = async (db: PgDatabase) => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = () => {};
    const holding = new Promise<void>((resolve) => {
      started = resolve;
    });
    const done = db.transaction(async (tx) => {
      await tx.query('SELECT 1');
      started();
      await released;
    });
    await holding;
    return { release, done };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await database?.drop();
  });

  it('lets a query wait longer than 5 s for a busy pool by default, then answers it', async () => {
    const db = open();
    const held = await hold(db);
    const waiting = db.query<{ answer: number }>('SELECT 42 AS answer');
    let settled = false;
    void waiting.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    // Past the old fixed 5 s pool timeout, the query is still waiting (not refused).
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect(settled).toBe(false);
    held.release();
    await held.done;
    expect(await waiting).toEqual([{ answer: 42 }]);
  }, 20_000);

  it('still answers SERVICE_UNAVAILABLE once the configured wait is over', async () => {
    const db = open(200);
    const held = await hold(db);
    await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    held.release();
    await held.done;
  });
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { RdsDataDatabase } from '../../functions/adapters/postgres/rds-data-database';
import { LockLostError } from '../../functions/ports/sql-database.port';
import { type LocalDataApi, localDataApiOptions, startLocalDataApi } from '../support/local-data-api';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/** Resolves when `signal` aborts (at once if it has). */
const aborted = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });

/**
 * A job's advisory lock can end under it (the session or transaction holding it ends); the work must learn
 * it, and the run must not be reported as done under the lock. Real PostgreSQL on each driver.
 */
describe('tryWithLock tells the work when its lock is lost', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('RDS Data API: a transaction the service forgot ends the lock; the work hears it and the call rejects', async () => {
    const api: LocalDataApi = await startLocalDataApi(database.url);
    const db = new RdsDataDatabase(localDataApiOptions(api, database.name, { keepAliveMs: 50 }));
    try {
      let takenOver: unknown;
      const run = db.tryWithLock(41, async (lost) => {
        // As Aurora does after 3 minutes without a statement: the transaction, and with it the lock, ends.
        expect(await api.forgetTransactions()).toBe(1);
        const reason = await aborted(lost);
        takenOver = await db.tryWithLock(41, async () => 'second');
        return reason;
      });

      await expect(run).rejects.toBeInstanceOf(LockLostError);
      expect(takenOver).toEqual({ acquired: true, result: 'second' });
    } finally {
      await db.close();
      await api.close();
    }
  });

  it('RDS Data API: a lock kept alive through long work is held to the end and answered', async () => {
    const api = await startLocalDataApi(database.url);
    const db = new RdsDataDatabase(localDataApiOptions(api, database.name, { keepAliveMs: 20 }));
    try {
      const result = await db.tryWithLock(42, async (lost) => {
        const before = api.statements;
        await expect.poll(() => api.statements).toBeGreaterThan(before + 3); // several keep-alives
        return lost.aborted ? 'lost' : 'held';
      });

      expect(result).toEqual({ acquired: true, result: 'held' });
    } finally {
      await db.close();
      await api.close();
    }
  });

  it('node-postgres: a lock session cut by the server ends the lock; the work hears it and the call rejects', async () => {
    const db = new PgDatabase({ connectionString: database.url, maxConnections: 4, lockProbeMs: 50 });
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      let takenOver: unknown;
      const run = db.tryWithLock(43, async (lost) => {
        const { rowCount } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND objid = 43 AND granted`,
        );
        expect(rowCount).toBe(1);
        const reason = await aborted(lost);
        takenOver = await db.tryWithLock(43, async () => 'second');
        return reason;
      });

      await expect(run).rejects.toBeInstanceOf(LockLostError);
      expect(takenOver).toEqual({ acquired: true, result: 'second' });
    } finally {
      await admin.end();
      await db.close();
    }
  });

  it('PGlite: the in-process lock cannot be lost; the work gets a signal that never aborts', async () => {
    const db = await PgliteDatabase.open();
    try {
      const result = await db.tryWithLock(44, async (lost) => lost.aborted);

      expect(result).toEqual({ acquired: true, result: false });
    } finally {
      await db.close();
    }
  });
});

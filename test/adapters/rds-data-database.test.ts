import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RdsDataDatabase } from '../../functions/adapters/postgres/rds-data-database';
import { SqlMaintenanceRepository } from '../../functions/adapters/postgres/sql-maintenance-repository';
import { SqlOutboxRepository } from '../../functions/adapters/postgres/sql-outbox-repository';
import { SqlReportRepository } from '../../functions/adapters/postgres/sql-report-repository';
import { migrate } from '../../functions/db/migrate';
import { type LocalDataApi, localDataApiOptions, startLocalDataApi } from '../support/local-data-api';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

describe('RdsDataDatabase (real RDSDataClient, local Data API on PostgreSQL)', () => {
  let database: TestDatabase;
  let api: LocalDataApi;
  let db: RdsDataDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startLocalDataApi(database.url);
    db = new RdsDataDatabase(localDataApiOptions(api, database.name));
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await api?.close();
    await database?.drop();
  });

  it('binds parameters with Aurora types: a plain string is no uuid, a UUID-shaped one is', async () => {
    await expect(db.query('SELECT 1 AS one WHERE gen_random_uuid() = $1', ['plain text'])).rejects.toThrow(
      /operator does not exist: uuid = character varying/,
    );
    const id = '6f1c2b3a-0d4e-4f5a-8b6c-7d8e9f0a1b2c';
    expect(await db.query('SELECT $1 = $1::text::uuid AS same', [id])).toEqual([{ same: true }]);
    expect(
      await db.query('SELECT $1::integer + 1 AS n, $2::text AS t, $3::boolean AS b', [41, 'x', true]),
    ).toEqual([{ n: 42, t: 'x', b: true }]);
  });

  it('reports a unique violation with its SQLSTATE, and rolls back a failed transaction', async () => {
    await db.query(
      `INSERT INTO users (email, name, password_hash, role) VALUES ('a@x.test', 'A', 'h', 'customer')`,
    );
    const error = await db
      .query(`INSERT INTO users (email, name, password_hash, role) VALUES ('a@x.test', 'A', 'h', 'customer')`)
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('23505');

    await expect(
      db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO users (email, name, password_hash, role) VALUES ('b@x.test', 'B', 'h', 'customer')`,
        );
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await db.query(`SELECT count(*)::int AS n FROM users WHERE email = 'b@x.test'`)).toEqual([
      { n: 0 },
    ]);
  });

  it('sends a statement once: a reply that comes too late fails the call, never runs it twice (review finding)', async () => {
    const impatient = new RdsDataDatabase(localDataApiOptions(api, database.name, { requestTimeoutMs: 300 }));
    try {
      await impatient.query('CREATE TABLE once_only (n integer)');
      api.answerLate(1_000, 3);
      const statementsBefore = api.statements;
      await expect(impatient.query('INSERT INTO once_only VALUES (1)')).rejects.toThrow();
      api.answerLate(0, 0);

      expect(api.statements - statementsBefore).toBe(1);
      expect(await impatient.query('SELECT count(*)::integer AS n FROM once_only')).toEqual([{ n: 1 }]);
    } finally {
      await impatient.close();
    }
  });

  it('holds an advisory lock for the length of the work, in a transaction', async () => {
    const inner = await db.tryWithLock(99, async () => db.tryWithLock(99, async () => 'nested'));
    expect(inner).toEqual({ acquired: true, result: { acquired: false } });
    expect(await db.tryWithLock(99, async () => 'again')).toEqual({ acquired: true, result: 'again' });
  });

  it('runs the jobs SQL: outbox, reports and purges', async () => {
    const outbox = new SqlOutboxRepository(db);
    expect(
      await outbox.enqueue([{ dedupeKey: 'k1', to: 'a@x.test', subject: 's', text: 't', html: 'h' }]),
    ).toBe(1);
    expect(
      await outbox.enqueue([{ dedupeKey: 'k1', to: 'a@x.test', subject: 's', text: 't', html: 'h' }]),
    ).toBe(0);
    const [claimed] = await outbox.claim(10, 60, 5);
    expect(claimed).toMatchObject({ to: 'a@x.test', attempts: 1 });
    expect(await outbox.markFailed(claimed?.id ?? '', claimed?.claimToken ?? '', 'smtp down', 30)).toBe(true);
    expect(await outbox.markFailed(claimed?.id ?? '', claimed?.claimToken ?? '', 'smtp down', null)).toBe(
      false,
    );
    const maintenance = new SqlMaintenanceRepository(db);
    expect(await maintenance.purgeStaleReservations(30)).toBe(0);
    expect(await maintenance.purgeHistory(90)).toEqual({ emails: 0, jobRuns: 0 });
    await maintenance.recordRun({
      job: 'expire-holds',
      startedAt: new Date(),
      finishedAt: new Date(),
      outcome: 'succeeded',
      counts: { holds: 0 },
    });
    expect(await maintenance.releaseOverdueHolds()).toEqual([]);
    expect(await maintenance.reminderCandidates(new Date(), new Date(Date.now() + 86_400_000))).toEqual([]);
    const report = await new SqlReportRepository(db).computeAndStore('2026-11-25', 'Asia/Singapore');
    expect(report.concerts).toEqual([]);
  });
});

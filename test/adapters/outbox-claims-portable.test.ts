import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { RdsDataDatabase } from '../../functions/adapters/postgres/rds-data-database';
import { SqlOutboxRepository } from '../../functions/adapters/postgres/sql-outbox-repository';
import { migrate } from '../../functions/db/migrate';
import type { SqlDatabase } from '../../functions/ports/sql-database.port';
import { type LocalDataApi, localDataApiOptions, startLocalDataApi } from '../support/local-data-api';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/** The outbox claim SQL (migration 008) on each driver the service runs on. */
describe.each(['node-postgres', 'RDS Data API', 'PGlite'] as const)('outbox claims on %s', (driver) => {
  let database: TestDatabase | undefined;
  let api: LocalDataApi | undefined;
  let db: SqlDatabase;

  beforeAll(async () => {
    if (driver === 'PGlite') db = await PgliteDatabase.open();
    else {
      database = await createTestDatabase();
      if (driver === 'node-postgres')
        db = new PgDatabase({ connectionString: database.url, maxConnections: 2 });
      else {
        api = await startLocalDataApi(database.url);
        db = new RdsDataDatabase(localDataApiOptions(api, database.name));
      }
    }
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await api?.close();
    await database?.drop();
  });

  it('claims under a token, renews, marks only with that token, and gives back what was never tried', async () => {
    const outbox = new SqlOutboxRepository(db);
    await outbox.enqueue(
      ['a', 'b', 'c'].map((k) => ({ dedupeKey: k, to: `${k}@x.test`, subject: k, text: k, html: k })),
    );

    const batch = await outbox.claim(10, 60, 5);
    const [first, second, third] = batch;
    const token = first?.claimToken ?? '';
    expect(batch.map((e) => e.claimToken)).toEqual([token, token, token]);
    expect(await outbox.claim(10, 60, 5)).toEqual([]); // all held
    expect((await outbox.extendClaim(token, 60)).sort()).toEqual(batch.map((e) => e.id).sort());
    expect(await outbox.markSent(first?.id ?? '', '00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(await outbox.markSent(first?.id ?? '', token)).toBe(true);
    expect(await outbox.markFailed(second?.id ?? '', token, 'refused', 30)).toBe(true);
    expect(await outbox.markSent(second?.id ?? '', token)).toBe(false); // no longer held
    expect(await outbox.extendClaim(token, 60)).toEqual([third?.id]);
    expect(await outbox.releaseClaim(token, [third?.id ?? ''])).toBe(1);

    const [again] = await outbox.claim(10, 60, 5);
    expect(again).toMatchObject({ id: third?.id, attempts: 1 });
    expect(again?.claimToken).not.toBe(token);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { SqlUserRepository } from '../../functions/adapters/postgres/sql-user-repository';
import { migrate } from '../../functions/db/migrate';
import type { SqlDatabase } from '../../functions/ports/sql-database.port';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

// Issue 19: every authenticated request read its account's standing with a statement of its own; during a
// flash sale with thousands of buyers that was more round trips than the hold batches. Concurrent reads
// go as one statement, each ask answered its own account (or null).
describe.each(['postgresql', 'pglite'] as const)('account standings are read in batches (%s)', (engine) => {
  let db: SqlDatabase;
  let statements: string[];
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    let inner: SqlDatabase & { close(): Promise<void> };
    if (engine === 'postgresql') {
      database = await createTestDatabase();
      inner = new PgDatabase({ connectionString: database.url, maxConnections: 4 });
    } else inner = await PgliteDatabase.open();
    await migrate(inner);
    statements = [];
    db = Object.assign(Object.create(inner) as SqlDatabase, {
      query: (sql: string, params?: unknown[]) => {
        statements.push(sql);
        return inner.query(sql, params as never);
      },
      close: () => inner.close(),
    });
  });
  afterAll(async () => {
    await (db as unknown as { close(): Promise<void> })?.close();
    await database?.drop();
  });

  it('50 concurrent asks, for 25 accounts, an unknown one and an upper-case id, go as one statement', async () => {
    const rows = await db.query(
      `INSERT INTO users (email, name, password_hash, role, token_version)
       SELECT 'fan-' || g || '@x.test', 'Fan', 'x', CASE WHEN g = 1 THEN 'admin' ELSE 'customer' END, g
         FROM generate_series(1, 25) g RETURNING id, token_version`,
    );
    const ids = rows.map((r) => String(r.id));
    const users = new SqlUserRepository(db);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const asks = [...ids, ...ids.slice(0, 23), unknown, String(ids[1]).toUpperCase()];
    statements.length = 0;

    const standings = await Promise.all(asks.map((id) => users.standing(id)));

    expect(statements).toHaveLength(1);
    expect(standings[0]).toEqual({ role: 'admin', tokenVersion: 1 });
    for (const [i, id] of asks.entries()) {
      const row = rows.find((r) => String(r.id) === id.toLowerCase());
      expect(standings[i]).toEqual(
        row
          ? { role: row.token_version === 1 ? 'admin' : 'customer', tokenVersion: Number(row.token_version) }
          : null,
      );
    }
    expect(standings[asks.indexOf(unknown)]).toBeNull();
  });

  it('a deleted account answers null on the next ask', async () => {
    const [row] = await db.query(
      `INSERT INTO users (email, name, password_hash, role) VALUES ('gone@x.test', 'Gone', 'x', 'customer') RETURNING id`,
    );
    const users = new SqlUserRepository(db);
    expect(await users.standing(String(row?.id))).toEqual({ role: 'customer', tokenVersion: 0 });
    await db.query('DELETE FROM users WHERE id = $1', [String(row?.id)]);
    expect(await users.standing(String(row?.id))).toBeNull();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { migrate, readMigrations, splitStatements } from '../../functions/db/migrate';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

describe('migrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('are applied once when two processes migrate at the same moment', async () => {
    const open = () => new PgDatabase({ connectionString: database.url, maxConnections: 2 });
    const [a, b] = [open(), open()];
    try {
      const results = await Promise.all([migrate(a), migrate(b)]);
      const names = (await readMigrations()).map((m) => m.name);
      expect(results.flat().sort()).toEqual(names);
      expect(await a.query('SELECT name FROM schema_migrations ORDER BY name')).toEqual(
        names.map((name) => ({ name })),
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('roll back entirely when a file fails', async () => {
    const db = new PgDatabase({ connectionString: database.url, maxConnections: 1 });
    try {
      const broken = [
        { name: '999_broken.sql', sql: 'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n' },
      ];
      await expect(migrate(db, [...(await readMigrations()), ...broken])).rejects.toThrow(/no_such_table/);
      expect(await db.query("SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);
      expect(
        await db.query("SELECT count(*)::int AS n FROM schema_migrations WHERE name = '999_broken.sql'"),
      ).toEqual([{ n: 0 }]);
    } finally {
      await db.close();
    }
  });

  it('split scripts into statements, keeping function bodies whole', () => {
    const statements = splitStatements(
      '-- comment\nCREATE TABLE a (x int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n  SELECT 1;\n$$;\nINSERT INTO a VALUES (1);\n',
    );
    expect(statements).toEqual([
      'CREATE TABLE a (x int);',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n  SELECT 1;\n$$;',
      'INSERT INTO a VALUES (1);',
    ]);
  });
});

import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where the tests find a PostgreSQL server they may create databases on (trust auth on this machine). */
export const ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file; its name always starts with `test_`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `test_cts_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (!/^test_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to use database ${name}`);
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

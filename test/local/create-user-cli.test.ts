import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const run = promisify(execFile);

describe('npx concert-tickets create-user (issue 21) against PostgreSQL', () => {
  let database: TestDatabase;
  const cli = async (args: string[]) => {
    const { stdout, stderr } = await run(process.execPath, ['bin/concert-tickets.mjs', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: database.url,
        LOG_LEVEL: 'silent',
        JWT_SECRET: 'j'.repeat(40),
        // Worktrees that share one node_modules share the CLI's bundle cache too: this lets such a run
        // use tsx instead of another checkout's bundle.
        ...(process.env.CONCERT_TICKETS_CLI_NO_BUNDLE
          ? { CONCERT_TICKETS_CLI_NO_BUNDLE: process.env.CONCERT_TICKETS_CLI_NO_BUNDLE }
          : {}),
      },
    });
    return { stdout, stderr };
  };
  const account = async (email: string) => {
    const db = new PgDatabase({ connectionString: database.url, maxConnections: 1 });
    try {
      const [row] = await db.query('SELECT name, role, token_version FROM users WHERE email = $1', [email]);
      return row;
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('has --help naming the roles', async () => {
    const { stdout } = await cli(['create-user', '--help']);
    expect(stdout).toMatch(/Usage: concert-tickets create-user/);
    expect(stdout.replace(/\s+/g, ' ')).toMatch(/choices: "customer", "staff", "admin"/);
  }, 120_000);

  it('creates a staff account, refuses to change it without --update, changes it with --update', async () => {
    const door = ['--email', 'Door@Example.test', '--password', 'door-password', '--name', 'Door One'];
    expect((await cli(['create-user', ...door, '--role', 'staff'])).stdout).toMatch(
      /^staff door@example\.test \([0-9a-f-]{36}\) created$/m,
    );
    expect(await account('door@example.test')).toMatchObject({ name: 'Door One', role: 'staff' });
    // The same account again is no change, and no refusal.
    expect((await cli(['create-user', ...door, '--role', 'staff'])).stdout).toMatch(/already there/);
    // Anything else without --update: refused, exit code 1, nothing changed.
    const refused = await cli(['create-user', ...door, '--role', 'admin']).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(/already exists: pass --update/);
    expect(await account('door@example.test')).toMatchObject({ role: 'staff', token_version: 0 });
    expect((await cli(['create-user', ...door, '--role', 'admin', '--update'])).stdout).toMatch(
      /^admin door@example\.test .* updated$/m,
    );
    expect(await account('door@example.test')).toMatchObject({ role: 'admin', token_version: 1 });
  }, 120_000);

  it('refuses an unknown role, a short password, a missing name and a malformed e-mail before touching the database', async () => {
    for (const args of [
      ['--email', 'not an address<b>', '--password', 'long enough', '--name', 'X', '--role', 'staff'],
      ['--email', 'x@example.test', '--password', 'long enough', '--name', 'X', '--role', 'boss'],
      ['--email', 'x@example.test', '--password', 'short', '--name', 'X', '--role', 'staff'],
      ['--email', 'x@example.test', '--password', 'long enough', '--role', 'staff'],
    ]) {
      await expect(cli(['create-user', ...args]), args.join(' ')).rejects.toMatchObject({ code: 1 });
    }
    expect(await account('x@example.test')).toBeUndefined();
    expect(await account('not an address<b>')).toBeUndefined();
  }, 120_000);
});

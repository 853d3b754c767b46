import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { SqlReservationRepository } from '../../functions/adapters/postgres/sql-reservation-repository';
import { newTicketCode } from '../../functions/core/ticket-codes';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const run = promisify(execFile);

describe('npx concert-tickets (the operator CLI) against PostgreSQL', () => {
  let database: TestDatabase;
  let restored: TestDatabase;
  let backups: string;
  const cli = async (args: string[], url = database.url) => {
    const { stdout, stderr } = await run(process.execPath, ['bin/concert-tickets.mjs', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: url,
        LOG_LEVEL: 'silent',
        JWT_SECRET: 'j'.repeat(40),
        BACKUP_DIR: backups,
      },
    });
    return { stdout, stderr };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    restored = await createTestDatabase();
    backups = await mkdtemp(join(tmpdir(), 'cts-cli-backups-'));
  });
  afterAll(async () => {
    await database?.drop();
    await restored?.drop();
  });

  it('has --help on every command', async () => {
    for (const command of [
      'migrate',
      'seed',
      'create-admin',
      'job',
      'availability',
      'export-tickets',
      'restore',
    ]) {
      const { stdout } = await cli([command, '--help']);
      expect(stdout, command).toMatch(new RegExp(`Usage: concert-tickets ${command}`));
    }
  }, 120_000);

  it('migrates, creates an admin, seeds, shows availability, exports tickets, runs a job, and restores a backup', async () => {
    expect((await cli(['migrate'])).stdout).toMatch(/applied 001_core\.sql/);
    expect((await cli(['migrate'])).stdout).toMatch(/up to date/);
    expect(
      (await cli(['create-admin', '--email', 'Ops@Example.test', '--password', 'ops-password'])).stdout,
    ).toMatch(/admin ops@example\.test/);
    const seeded = (await cli(['seed'])).stdout;
    expect(seeded).toMatch(/concert {3}Midnight Echoes/);
    const concertId = /Flash Sale Live .* id ([0-9a-f-]{36})/.exec(seeded)?.[1] as string;

    const db = new PgDatabase({ connectionString: database.url, maxConnections: 2 });
    try {
      const [user] = await db.query(`SELECT id FROM users WHERE email = 'ops@example.test'`);
      const [tier] = await db.query('SELECT id FROM ticket_tiers WHERE concert_id = $1', [concertId]);
      const reservations = new SqlReservationRepository(db, { batchHolds: false });
      const hold = await reservations.hold({
        userId: String(user?.id),
        concertId,
        tierId: String(tier?.id),
        quantity: 3,
        idempotencyKey: null,
        holdSeconds: 600,
        perUserLimit: 0,
        activeHoldLimit: 0,
      });
      if (hold.kind !== 'created') throw new Error(hold.kind);
      await reservations.confirm(hold.reservation.id, String(user?.id), [
        newTicketCode(),
        newTicketCode(),
        newTicketCode(),
      ]);
    } finally {
      await db.close();
    }

    expect((await cli(['availability', concertId])).stdout).toMatch(/Floor\s+97 of 100 left/);
    const out = join(backups, 'tickets.csv');
    expect((await cli(['export-tickets', concertId, '--out', out])).stderr).toMatch(/wrote 3 tickets/);
    const rows = parse(await readFile(out, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ tier: 'Floor', holder: 'ops@example.test' });
    expect(rows[0]?.code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);

    expect((await cli(['job', 'expire-holds'])).stdout).toMatch(/"outcome":"succeeded"/);
    expect((await cli(['job', 'backup'])).stdout).toMatch(/"outcome":"succeeded"/);
    const [dump] = (await readdir(backups)).filter((name) => name.endsWith('.dump'));
    expect((await cli(['restore', join(backups, dump as string)], restored.url)).stdout).toMatch(/restored/);
    const copy = new PgDatabase({ connectionString: restored.url, maxConnections: 1 });
    try {
      expect(await copy.query('SELECT count(*)::int AS n FROM tickets')).toEqual([{ n: 3 }]);
    } finally {
      await copy.close();
    }
    await expect(cli(['availability', 'not-an-id'])).rejects.toThrow(/not a concert id/);
  }, 180_000);

  it('runs a job for the time it was scheduled for (--at), and refuses a time without an offset', async () => {
    // SCHEDULE_TIMEZONE is UTC here: 23:00+02:00 on the 10th is 21:00Z, still the 10th, and long over.
    const { stdout, stderr } = await cli(['job', 'daily-report', '--at', '2026-06-10T23:00:00+02:00']);
    expect(stderr).toMatch(/daily-report: 2026-06-10 \(final\)/);
    expect(stdout).toMatch(/"scheduledAt":"2026-06-10T21:00:00.000Z"/);
    await expect(cli(['job', 'reminders', '--at', '2026-06-10 23:00'])).rejects.toThrow(
      /--at takes an ISO time/,
    );
  }, 120_000);
});

/** Issue 16 ("The first hour"): what an operator expects of the CLI on the first day. */
describe('npx concert-tickets: --version, read-only commands, restore confirmation, existing accounts', () => {
  let database: TestDatabase;
  let backups: string;
  const cli = async (args: string[], url = database.url) =>
    run(process.execPath, ['bin/concert-tickets.mjs', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: url,
        LOG_LEVEL: 'silent',
        JWT_SECRET: 'j'.repeat(40),
        BACKUP_DIR: backups,
      },
    });
  const tablesIn = async (url: string) => {
    const db = new PgDatabase({ connectionString: url, maxConnections: 1 });
    try {
      return (
        await db.query(
          `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
        )
      ).map((row) => String(row.name));
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    backups = await mkdtemp(join(tmpdir(), 'cts-cli-first-hour-'));
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('prints its version with --version and -V', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect((await cli(['--version'])).stdout.trim()).toBe(version);
    expect((await cli(['-V'])).stdout.trim()).toBe(version);
  }, 60_000);

  it('read-only commands migrate nothing: on an unmigrated database they say to run migrate', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    await expect(cli(['availability', id])).rejects.toThrow(/run `concert-tickets migrate` first/);
    await expect(cli(['export-tickets', id])).rejects.toThrow(/run `concert-tickets migrate` first/);
    expect(await tablesIn(database.url)).toEqual([]);
  }, 60_000);

  it('create-admin changes an existing account only with --update', async () => {
    await cli(['migrate']);
    await cli(['create-admin', '--email', 'boss@example.test', '--password', 'first-password']);
    await expect(
      cli(['create-admin', '--email', 'Boss@example.test', '--password', 'other-password']),
    ).rejects.toThrow(/already exists: pass --update/);
    // The same admin with the same password is no change: no refusal.
    expect(
      (await cli(['create-admin', '--email', 'boss@example.test', '--password', 'first-password'])).stdout,
    ).toMatch(/already there/);
    expect(
      (
        await cli([
          'create-admin',
          '--email',
          'boss@example.test',
          '--password',
          'other-password',
          '--update',
        ])
      ).stdout,
    ).toMatch(/admin boss@example\.test .* updated/);
  }, 60_000);

  it('restore asks before replacing a database that holds data: refused without a terminal, done with --yes', async () => {
    await cli(['seed']);
    expect((await cli(['job', 'backup'])).stdout).toMatch(/"outcome":"succeeded"/);
    const [dump] = (await readdir(backups)).filter((name) => name.endsWith('.dump'));
    const file = join(backups, dump as string);
    const db = new PgDatabase({ connectionString: database.url, maxConnections: 1 });
    try {
      await db.query(`INSERT INTO concerts (title, artist, venue, starts_at, status)
                      VALUES ('Added after the backup', 'X', 'Y', now() + interval '1 day', 'on-sale')`);
      const count = async () => (await db.query('SELECT count(*)::int AS n FROM concerts'))[0]?.n;
      const before = await count();
      await expect(cli(['restore', file])).rejects.toThrow(/pass --yes to confirm.*nothing was changed/s);
      expect(await count()).toBe(before);
      const { stdout, stderr } = await cli(['restore', file, '--yes']);
      expect(stderr).toMatch(/holds data \(.*concerts.*\): restoring/);
      expect(stdout).toMatch(/restored/);
      expect(await count()).toBe((before as number) - 1);
    } finally {
      await db.close();
    }
    await expect(cli(['restore', join(backups, 'no-such.dump'), '--yes'])).rejects.toThrow(/no backup file/);
  }, 120_000);
});

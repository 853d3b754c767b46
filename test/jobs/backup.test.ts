import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteBackup } from '../../functions/adapters/postgres/pglite-backup';
import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { runJob } from '../../functions/core/jobs.service';
import { migrate } from '../../functions/db/migrate';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { createCustomers, startTestService, type TestService } from '../support/test-service';

const run = promisify(execFile);

const FINGERPRINT = `
  SELECT (SELECT count(*)::int FROM reservations) AS reservations,
         (SELECT count(*)::int FROM tickets) AS tickets,
         (SELECT md5(coalesce(string_agg(id::text || status || quantity || total_cents, ',' ORDER BY id), '')) FROM reservations) AS reservations_md5,
         (SELECT md5(coalesce(string_agg(id::text || code || reservation_id::text, ',' ORDER BY id), '')) FROM tickets) AS tickets_md5`;

describe('backup job', () => {
  let t: TestService;
  let backupDir: string;
  let restored: TestDatabase;

  beforeAll(async () => {
    backupDir = await mkdtemp(join(tmpdir(), 'cts-backup-'));
    t = await startTestService({ BACKUP_DIR: backupDir, BACKUP_RETENTION: '2', TICKETS_PER_USER_LIMIT: '0' });
    restored = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.close();
    await restored?.drop();
  });

  it('writes pg_dump custom-format files with retention, and a restore gives back the same data', async () => {
    const admin = await t.api.adminToken();
    const fans = await createCustomers(t.service, 3);
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 4200, capacity: 30 }]);
    for (const [i, fan] of fans.entries()) {
      const hold = await t.api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: i + 1 },
      });
      if (i < 2)
        await t.api.request('POST', `/api/reservations/${hold.body.reservation.id}/confirm`, { token: fan });
    }
    const original = (await t.service.services.db.query(FINGERPRINT))[0];
    expect(original).toMatchObject({ reservations: 3, tickets: 3 });

    const reports = [];
    for (let i = 0; i < 3; i++) reports.push(await runJob(t.service.services.jobs, 'backup'));

    expect(reports.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(reports[2]?.counts.pruned).toBe(1);
    const files = (await readdir(backupDir)).sort();
    expect(files).toHaveLength(2);
    const newest = join(backupDir, files[1] ?? '');
    expect((await readFile(newest)).subarray(0, 5).toString()).toBe('PGDMP'); // custom format

    // The documented restore command.
    await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '-d', restored.url, newest]);
    const client = new pg.Client({ connectionString: restored.url });
    await client.connect();
    try {
      expect((await client.query(FINGERPRINT)).rows[0]).toEqual(original);
    } finally {
      await client.end();
    }
  });

  it('fails loudly, and records the failure, when pg_dump cannot run', async () => {
    const jobs = {
      ...t.service.services.jobs,
      backup: { backUp: () => Promise.reject(new Error('pg_dump: connection refused')) },
    };
    await expect(runJob(jobs, 'backup')).rejects.toThrow(/connection refused/);
    const [last] = await t.service.services.db.query(
      `SELECT outcome, error FROM job_runs WHERE job = 'backup' ORDER BY started_at DESC LIMIT 1`,
    );
    expect(last).toMatchObject({ outcome: 'failed', error: 'pg_dump: connection refused' });
  });

  it('backs up the embedded database as a tarball that PGlite can load again', async () => {
    const db = await PgliteDatabase.open();
    await migrate(db);
    await db.query(
      `INSERT INTO concerts (title, artist, venue, starts_at, status) VALUES ('Embedded', 'A', 'V', now(), 'on-sale')`,
    );
    const dir = await mkdtemp(join(tmpdir(), 'cts-embedded-backup-'));
    const result = await new PgliteBackup(db, dir, 3).backUp();
    await db.close();

    const copy = new PGlite({ loadDataDir: new Blob([await readFile(result.location)]) });
    const rows = await copy.query<{ title: string }>('SELECT title FROM concerts');
    expect(rows.rows).toEqual([{ title: 'Embedded' }]);
    await copy.close();
  });
});

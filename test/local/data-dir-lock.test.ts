import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../functions/adapters/node/data-dir-lock';
import { freePort, spawnServer, waitForReady } from '../support/processes';
import { ApiClient } from '../support/test-service';

const run = promisify(execFile);

/** A command on the embedded folder `dataDir`: its exit code and everything it printed. */
async function attempt(args: string[], dataDir: string, extra: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATA_DIR: dataDir, ...extra },
      timeout: 60_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('one process owns an embedded data folder', () => {
  it('takes the folder atomically, refuses a second taker, takes over a dead owner’s lock', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cts-lock-'));
    const lock = lockDataDir(dir, 'test');
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    expect(() => lockDataDir(dir, 'again')).toThrow(DataDirInUseError);
    lock.release();
    lock.release();
    // A lock left by a process that is gone (a SIGKILLed service) does not keep the folder.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: dead.pid, command: 'npm start' }));
    const taken = lockDataDir(dir, 'test');
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    taken.release();
    // Nor is a dead owner's pid reused by another program (here a living `sleep`).
    const other = spawn('sleep', ['30']);
    try {
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: other.pid, command: 'npm start' }));
      lockDataDir(dir, 'test').release();
    } finally {
      other.kill('SIGKILL');
    }
    // A torn or empty lock file is no owner either, once its writer has had a second (here: mtime 2 s ago).
    await writeFile(join(dir, LOCK_FILE), '');
    const twoSecondsAgo = new Date(Date.now() - 2_000);
    await utimes(join(dir, LOCK_FILE), twoSecondsAgo, twoSecondsAgo);
    lockDataDir(dir, 'test').release();
  });

  it('refuses every second opener with one line while the embedded service runs, and the service keeps working', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cts-owned-'));
    const port = await freePort();
    const api = new ApiClient(`http://127.0.0.1:${port}`);
    const service = spawnServer({ PORT: String(port), DATA_DIR: dataDir });
    try {
      await waitForReady(api.baseUrl, 90_000).catch((error) => {
        throw new Error(`${error}: ${service.output()}`);
      });
      const pid = String(service.child.pid);
      const tsx = ['--import', 'tsx'];
      const openers: Array<[string, string[], Record<string, string>?]> = [
        ['job', [...tsx, 'local/cli.ts', 'scheduled-job', 'daily-report']],
        [
          'create-admin',
          [
            'bin/concert-tickets.mjs',
            'create-admin',
            '--email',
            'x@example.test',
            '--password',
            'password-123',
          ],
        ],
        ['cli migrate', ['bin/concert-tickets.mjs', 'migrate']],
        [
          'cli availability',
          ['bin/concert-tickets.mjs', 'availability', '00000000-0000-4000-8000-000000000000'],
        ],
        ['migrate', [...tsx, 'local/cli.ts', 'migrate']],
        ['seed', [...tsx, 'local/cli.ts', 'seed']],
        ['scheduler', [...tsx, 'local/scheduler-main.ts']],
        ['second server', [...tsx, 'local/server.ts'], { PORT: String(await freePort()) }],
      ];
      for (const [name, args, extra] of openers) {
        const result = await attempt(args, dataDir, extra);
        expect({ name, code: result.code }).toEqual({ name, code: 1 });
        // (The CLI may first say it builds its bundle; that note is not the answer.)
        const lines = result.output
          .trim()
          .split('\n')
          .filter((line) => !line.startsWith('building the CLI bundle'));
        expect({ name, lines }).toEqual({
          name,
          lines: [expect.stringContaining(`is in use by process ${pid}`)],
        });
        expect(lines[0]).toContain(`DATA_DIR ${dataDir}`);
      }
      // The owner is untouched and still answers.
      expect((await api.request('GET', '/api/concerts')).status).toBe(200);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      // Stopped: the folder is free again, and the lock file is gone.
      await expect(readFile(join(dataDir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
      const job = await attempt([...tsx, 'local/cli.ts', 'scheduled-job', 'daily-report'], dataDir);
      expect(job.code).toBe(0);
    } finally {
      service.child.kill('SIGKILL');
    }
  }, 300_000);
});

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort, spawnServer, waitForReady } from '../support/processes';

const run = promisify(execFile);

/** `npm start` with `env`: exit code and output (it must fail here, before building anything). */
async function npmStart(env: Record<string, string>) {
  try {
    await run('npm', ['start'], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 });
    return { code: 0, output: '' };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('a second `npm start` next to a running one', () => {
  it('says what holds the port or the data folder, and leaves the running service’s files alone', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cts-first-'));
    const webRoot = await mkdtemp(join(tmpdir(), 'cts-webroot-'));
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><div id="root">first</div>');
    const before = await stat(join(webRoot, 'index.html'));
    const port = await freePort();
    const first = spawnServer({
      PORT: String(port),
      DATA_DIR: dataDir,
      WEB_ROOT: webRoot,
      INSTANCE_ID: 'first',
    });
    try {
      await waitForReady(`http://127.0.0.1:${port}`, 90_000).catch((error) => {
        throw new Error(`${error}: ${first.output()}`);
      });
      const samePort = await npmStart({
        PORT: String(port),
        DATA_DIR: await mkdtemp(join(tmpdir(), 'cts-other-')),
        WEB_ROOT: webRoot,
      });
      expect(samePort.code).not.toBe(0);
      expect(samePort.output).toContain(
        `PORT ${port} is in use by a running concert-ticket-system (instance first)`,
      );
      const sameFolder = await npmStart({
        PORT: String(await freePort()),
        DATA_DIR: dataDir,
        WEB_ROOT: webRoot,
      });
      expect(sameFolder.code).not.toBe(0);
      expect(sameFolder.output).toContain(`DATA_DIR ${dataDir} is in use by process ${first.child.pid}`);
      // Nothing was rebuilt under the running service.
      expect(await readFile(join(webRoot, 'index.html'), 'utf8')).toContain('first');
      expect((await stat(join(webRoot, 'index.html'))).mtimeMs).toBe(before.mtimeMs);
      // The server itself (started without npm) names the port's holder too.
      const direct = spawnServer({
        PORT: String(port),
        DATA_DIR: await mkdtemp(join(tmpdir(), 'cts-other-')),
      });
      expect(await direct.exited).toBe(1);
      expect(direct.output().trim().split('\n').at(-1)).toContain(
        `PORT ${port} is in use by a running concert-ticket-system`,
      );
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  }, 240_000);
});

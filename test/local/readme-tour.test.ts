import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort, spawnServer, waitForReady } from '../support/processes';

const run = promisify(execFile);

/** The shell block between `<!-- tour:start -->` and `<!-- tour:end -->` in README.md. */
async function readmeTour(): Promise<string> {
  const readme = await readFile('README.md', 'utf8');
  const section = readme.match(/<!-- tour:start -->([\s\S]*?)<!-- tour:end -->/)?.[1];
  const block = section?.match(/```sh\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('README.md has no ```sh block between the tour markers');
  return block;
}

describe('the README tour', () => {
  it('runs as written against a freshly started service (bash, set -euo pipefail)', async () => {
    const tour = await readmeTour();
    expect(tour).not.toMatch(/…|<id>|\bjq\b/);
    const port = await freePort();
    const service = spawnServer({ PORT: String(port), DATA_DIR: await mkdtemp(join(tmpdir(), 'cts-tour-')) });
    try {
      await waitForReady(`http://127.0.0.1:${port}`, 90_000).catch((error) => {
        throw new Error(`${error}: ${service.output()}`);
      });
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', tour], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          BASE: `http://127.0.0.1:${port}`,
        },
        timeout: 60_000,
      });
      const lines = stdout.trim().split('\n');
      expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^Midnight Echoes: \d+ left$/)]));
      expect(lines).toContain('confirmed');
      // Two tickets, each with its code.
      expect(lines.slice(lines.indexOf('confirmed') + 1)).toHaveLength(2);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  }, 180_000);
});

import { execFile } from 'node:child_process';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BackupResult, BackupTarget } from '../../ports/backup.port';
import { makeDirectory } from '../node/make-directory';

const run = promisify(execFile);
const PREFIX = 'concert-tickets-';
const SUFFIX = '.dump';

/** Keeps the newest `keep` files named `<prefix>…<suffix>` in `dir` (names sort by time); returns the removed. */
export async function pruneBackups(
  dir: string,
  prefix: string,
  suffix: string,
  keep: number,
): Promise<string[]> {
  const files = (await readdir(dir))
    .filter((name) => name.startsWith(prefix) && name.endsWith(suffix))
    .sort();
  const old = files.slice(0, Math.max(0, files.length - keep)).map((name) => join(dir, name));
  await Promise.all(old.map((file) => rm(file, { force: true })));
  return old;
}

export const backupFileName = (prefix: string, suffix: string) =>
  `${prefix}${new Date().toISOString().replace(/[:.]/g, '-')}${suffix}`;

/**
 * `pg_dump -Fc` into a directory, keeping the newest `keep` files. Restore with
 * `pg_restore --clean --if-exists --no-owner -d "$DATABASE_URL" <file>`.
 */
export class PgDumpBackup implements BackupTarget {
  constructor(
    private readonly databaseUrl: string,
    private readonly dir: string,
    private readonly keep: number,
    private readonly pgDump = 'pg_dump',
  ) {}

  async backUp(): Promise<BackupResult> {
    await makeDirectory(this.dir);
    // Sortable, unique names; a partial file is written under a temporary name first.
    const file = join(this.dir, backupFileName(PREFIX, SUFFIX));
    const partial = `${file}.partial`;
    try {
      await run(this.pgDump, ['--format=custom', '--no-owner', `--file=${partial}`, this.databaseUrl], {
        maxBuffer: 16 * 1024 * 1024,
      });
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return {
      location: file,
      bytes: (await stat(file)).size,
      pruned: await pruneBackups(this.dir, PREFIX, SUFFIX, this.keep),
    };
  }
}

import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupResult, BackupTarget } from '../../ports/backup.port';
import { makeDirectory } from '../node/make-directory';
import { backupFileName, pruneBackups } from './pg-dump-backup';

const PREFIX = 'concert-tickets-embedded-';
const SUFFIX = '.tar.gz';

/** Embedded mode: PGlite's data directory as a tarball, with the same retention as pg_dump files. */
export class PgliteBackup implements BackupTarget {
  constructor(
    private readonly database: { dumpDataDir(): Promise<Uint8Array> },
    private readonly dir: string,
    private readonly keep: number,
  ) {}

  async backUp(): Promise<BackupResult> {
    await makeDirectory(this.dir);
    const file = join(this.dir, backupFileName(PREFIX, SUFFIX));
    const bytes = await this.database.dumpDataDir();
    await writeFile(`${file}.partial`, bytes);
    await rename(`${file}.partial`, file);
    return {
      location: file,
      bytes: bytes.length,
      pruned: await pruneBackups(this.dir, PREFIX, SUFFIX, this.keep),
    };
  }
}

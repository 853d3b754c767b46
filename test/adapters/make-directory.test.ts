import { describe, expect, it } from 'vitest';
import { localJwtKey } from '../../functions/adapters/crypto/local-jwt-key';
import { PgDumpBackup } from '../../functions/adapters/postgres/pg-dump-backup';

// Node 20's mkdir(…, { recursive: true }) never returns under /proc: every folder the service makes must fail
// with an error instead (the kind of issue 16's "DATA_DIR=/proc/nope hangs with no output").
describe('folders that cannot be made fail at once, never hang', () => {
  it('a backup into BACKUP_DIR=/proc/… fails with an error', async () => {
    const backup = new PgDumpBackup('postgres://127.0.0.1:1/none', '/proc/cts-nope/backups', 1);
    await expect(backup.backUp()).rejects.toThrow(/ENOENT|EACCES|EROFS|ENOTDIR/);
  });

  it('the embedded signing key under /proc fails with an error', async () => {
    await expect(localJwtKey('/proc/cts-nope/data')).rejects.toThrow(/ENOENT|EACCES|EROFS|ENOTDIR/);
  });
});

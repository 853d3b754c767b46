import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { weakSecretReason } from '../../config/published-secrets';
import { makeDirectory } from '../node/make-directory';

/**
 * Outside production the HS256 signing key is generated on first start and kept in
 * `<dataDir>/jwt-secret` (mode 0600), so restarts keep sessions. A file that is torn, short or weak
 * (as judged by weakSecretReason) is never used: it is replaced by a fresh key, atomically (write a
 * temporary file, then link/rename it into place), so a crash mid-write can never leave a short key.
 * Two processes starting together on an empty directory agree on one key (link fails for the second).
 * @param dataDir DATA_DIR
 * @returns a key of 64 base64url characters (48 random bytes), or the valid one already there
 * @throws Error when the directory cannot be written
 */
export async function localJwtKey(dataDir: string): Promise<string> {
  const path = join(dataDir, 'jwt-secret');
  const existing = await readKey(path);
  if (existing !== undefined && !weakSecretReason(existing, 'signing-key')) return existing;
  // Node 20's recursive mkdir never returns under /proc: one that fails with a clear error instead.
  await makeDirectory(dataDir);
  const secret = randomBytes(48).toString('base64url');
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, secret, { mode: 0o600, flag: 'wx' });
  try {
    if (existing === undefined) {
      try {
        await link(temporary, path);
        return secret;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        // Another process created it first: use theirs if it is sound.
        const theirs = await readKey(path);
        if (theirs !== undefined && !weakSecretReason(theirs, 'signing-key')) return theirs;
      }
    }
    await rename(temporary, path);
    return secret;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function readKey(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

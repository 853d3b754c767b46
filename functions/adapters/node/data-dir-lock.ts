import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The lock file's name inside DATA_DIR: `{ pid, command, since }` as JSON, created with O_EXCL. */
export const LOCK_FILE = 'owner.lock';

/** Who holds a data folder: the process id, the command line it was started with, and since when (ISO). */
export interface DataDirOwner {
  pid: number;
  command: string;
  since: string;
}

/**
 * Raised when another living process owns the data folder. One line, naming the folder, the owner's pid
 * and command, and what to do instead.
 */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly owner: DataDirOwner,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by process ${owner.pid} (${owner.command}): one process owns an embedded database; stop it first (the running service runs the scheduled jobs itself), or set DATABASE_URL to share a PostgreSQL database`,
    );
  }
}

/** A held lock: `release()` removes the file (idempotent); it is also removed when the process exits. */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

const held = new Map<string, DataDirLock>();

/** The current owner of `dataDir`, when a living process holds it; a stale or torn lock file is no owner. */
export function dataDirOwner(dataDir: string): DataDirOwner | undefined {
  const owner = readOwner(join(dataDir, LOCK_FILE));
  return owner && owner.pid !== process.pid && isAlive(owner.pid) ? owner : undefined;
}

/**
 * Takes `dataDir` for this process: creates `<dataDir>/owner.lock` atomically (`wx`, O_CREAT|O_EXCL) with
 * this pid. A lock left by a dead process (or unreadable) is taken over; a living owner's is not.
 * The folder must exist. Taking a folder this process already holds is an error (one opener at a time).
 * @throws DataDirInUseError when another living process holds it
 */
export function lockDataDir(dataDir: string, command = describeCommand()): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  if (held.has(path)) throw new DataDirInUseError(dataDir, { pid: process.pid, command, since: '' });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        const owner: DataDirOwner = { pid: process.pid, command, since: new Date().toISOString() };
        writeSync(fd, JSON.stringify(owner));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 50) throw error;
      const owner = readOwner(path);
      if (owner && owner.pid !== process.pid && isAlive(owner.pid))
        throw new DataDirInUseError(dataDir, owner);
      // Stale (dead owner) or torn: remove it and try again; the O_EXCL create decides any race.
      if (!owner && Date.now() - startedWriting(path) < 1_000) {
        // A file that is being written right now by a starting owner: look again shortly.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 40);
        continue;
      }
      try {
        unlinkSync(path);
      } catch {}
    }
  }
  const onExit = () => release();
  const release = () => {
    if (held.get(path) !== lock) return;
    held.delete(path);
    process.off('exit', onExit);
    try {
      if (readOwner(path)?.pid === process.pid) unlinkSync(path);
    } catch {}
  };
  const lock: DataDirLock = { path, release };
  held.set(path, lock);
  process.on('exit', onExit);
  return lock;
}

function readOwner(path: string): DataDirOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DataDirOwner>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0) return undefined;
    return {
      pid: parsed.pid,
      command: String(parsed.command ?? 'unknown'),
      since: String(parsed.since ?? ''),
    };
  } catch {
    return undefined;
  }
}

/** When the lock file was last written, epoch ms (-Infinity when it is gone). */
function startedWriting(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}

/** `kill(pid, 0)`: EPERM means alive (another user's), ESRCH gone; alive and running Node, where /proc shows it. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A dead owner's pid reused by another program (Linux: /proc tells what runs there) is no owner.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('node');
  } catch {
    return true;
  }
}

/** How the owner was started, for the refusal: `npm start`, `npm run job`, or the script's name. */
function describeCommand(): string {
  const lifecycle = process.env.npm_lifecycle_event;
  if (lifecycle) return lifecycle === 'start' ? 'npm start' : `npm run ${lifecycle}`;
  const script = process.argv[1] ?? process.argv0;
  return [relative(process.cwd(), script) || script, ...process.argv.slice(2, 3)].join(' ');
}

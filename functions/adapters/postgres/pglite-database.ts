import { PGlite } from '@electric-sql/pglite';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from '../../ports/sql-database.port';

/**
 * Makes every commit so far durable against a killed process. PGlite runs PostgreSQL in single-user mode:
 * there is no WAL writer, so the WAL of a transaction committed with `synchronous_commit = off` (the hold
 * batch sets it, migration 003) stays in this process's memory until some later synchronous commit that
 * itself wrote WAL flushes it — after a quiet spell, never; a SIGKILL then loses answered holds. When WAL
 * is waiting, this writes a tiny non-transactional WAL message with `flush = true` (PostgreSQL 17+, PGlite
 * 0.5 is 18), which writes the WAL up to its own record. Nothing waiting: nothing written.
 * (`txid_current()` does not do it: a commit that wrote no WAL of its own is not flushed.)
 */
const FLUSH_PENDING_WAL = `SELECT CASE WHEN pg_current_wal_insert_lsn() > pg_current_wal_flush_lsn()
  THEN pg_logical_emit_message(false, 'wal-flush', '', true) END AS flushed`;

/**
 * PostgreSQL in WebAssembly, in-process: the embedded default. One session; PGlite queues callers.
 *
 * Durability: a query or transaction resolves only once its WAL is written to the data directory's files
 * (see `FLUSH_PENDING_WAL`), so an answered write survives SIGKILL of the process. PGlite starts
 * PostgreSQL with fsync off (`-F`): a power loss or OS crash may still lose the last writes.
 */
export class PgliteDatabase implements SqlDatabase {
  private readonly heldLocks = new Set<number>();

  private constructor(
    private readonly db: PGlite,
    private readonly onClose: () => void,
  ) {}

  /**
   * `dataDir` undefined keeps everything in memory. `onClose` runs once the database is closed (or failed
   * to open): the caller's data-folder lock is released there.
   */
  static async open(dataDir?: string, onClose: () => void = () => {}): Promise<PgliteDatabase> {
    try {
      const db = dataDir ? new PGlite(dataDir) : new PGlite();
      await db.waitReady;
      return new PgliteDatabase(db, onClose);
    } catch (error) {
      onClose();
      throw error;
    }
  }

  async query<T extends SqlRow = SqlRow>(text: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      return (await this.db.query<T>(text, params as SqlValue[])).rows;
    } finally {
      await this.flushWal();
    }
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction((tx) =>
        work({
          query: async <R extends SqlRow>(text: string, params: readonly SqlValue[] = []) =>
            (await tx.query<R>(text, params as SqlValue[])).rows,
        }),
      );
    } finally {
      await this.flushWal();
    }
  }

  private async flushWal(): Promise<void> {
    if (this.db.closed) return;
    await this.db.query(FLUSH_PENDING_WAL);
  }

  /** One process owns an embedded database, so an in-process set is the lock; it cannot be lost. */
  async tryWithLock<T>(
    key: number,
    work: (lost: AbortSignal) => Promise<T>,
  ): Promise<{ acquired: true; result: T } | { acquired: false }> {
    if (this.heldLocks.has(key)) return { acquired: false };
    this.heldLocks.add(key);
    try {
      return { acquired: true, result: await work(new AbortController().signal) };
    } finally {
      this.heldLocks.delete(key);
    }
  }

  /** The whole data directory as a gzipped tarball (`new PGlite({ loadDataDir })` restores it). */
  async dumpDataDir(): Promise<Uint8Array> {
    const dump = await this.db.dumpDataDir('gzip');
    return new Uint8Array(await dump.arrayBuffer());
  }

  async close(): Promise<void> {
    try {
      if (!this.db.closed) await this.db.close();
    } finally {
      this.onClose();
    }
  }
}

import { PGlite } from '@electric-sql/pglite';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from '../ports/sql-database.port';

/** PostgreSQL in WebAssembly, in-process: the embedded default. One session; PGlite queues callers. */
export class PgliteDatabase implements SqlDatabase {
  private readonly heldLocks = new Set<number>();

  private constructor(private readonly db: PGlite) {}

  /** `dataDir` undefined keeps everything in memory. */
  static async open(dataDir?: string): Promise<PgliteDatabase> {
    const db = dataDir ? new PGlite(dataDir) : new PGlite();
    await db.waitReady;
    return new PgliteDatabase(db);
  }

  async query<T extends SqlRow = SqlRow>(text: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.db.query<T>(text, params as SqlValue[])).rows;
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      work({
        query: async <R extends SqlRow>(text: string, params: readonly SqlValue[] = []) =>
          (await tx.query<R>(text, params as SqlValue[])).rows,
      }),
    );
  }

  /** One process owns an embedded database, so an in-process set is the lock. */
  async tryWithLock<T>(
    key: number,
    work: () => Promise<T>,
  ): Promise<{ acquired: true; result: T } | { acquired: false }> {
    if (this.heldLocks.has(key)) return { acquired: false };
    this.heldLocks.add(key);
    try {
      return { acquired: true, result: await work() };
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
    await this.db.close();
  }
}

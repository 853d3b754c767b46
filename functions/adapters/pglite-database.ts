import { PGlite } from '@electric-sql/pglite';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from '../ports/sql-database.port';

/** PostgreSQL in WebAssembly, in-process: the embedded default. One session; PGlite queues callers. */
export class PgliteDatabase implements SqlDatabase {
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

  async close(): Promise<void> {
    await this.db.close();
  }
}

import pg from 'pg';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from '../ports/sql-database.port';
import { classifyDatabaseError } from './database-errors';

export interface PgDatabaseOptions {
  connectionString: string;
  /** Measured here: the hot tier row peaks at 2–8 connections on 2 cores; more only adds lock queueing. */
  maxConnections: number;
  statementTimeoutMs?: number;
  onPoolError?: (error: Error) => void;
}

/** node-postgres, pooled. */
export class PgDatabase implements SqlDatabase {
  private readonly pool: pg.Pool;

  constructor(options: PgDatabaseOptions) {
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: options.statementTimeoutMs ?? 15_000,
      application_name: 'concert-ticket-system',
    });
    // An idle client losing its server must not crash the process; the next checkout reconnects.
    this.pool.on('error', (error) => options.onPoolError?.(error));
  }

  async query<T extends SqlRow = SqlRow>(text: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      const result = await this.pool.query<T>(text, params as SqlValue[]);
      return result.rows;
    } catch (error) {
      throw classifyDatabaseError(error);
    }
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classifyDatabaseError(error);
    }
    const tx: SqlExecutor = {
      query: async <R extends SqlRow>(text: string, params: readonly SqlValue[] = []) => {
        try {
          return (await client.query<R>(text, params as SqlValue[])).rows;
        } catch (error) {
          throw classifyDatabaseError(error);
        }
      },
    };
    let broken: unknown;
    try {
      await tx.query('BEGIN');
      const result = await work(tx);
      await tx.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A client whose rollback failed is not returned to the pool in an unknown state.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async tryWithLock<T>(
    key: number,
    work: () => Promise<T>,
  ): Promise<{ acquired: true; result: T } | { acquired: false }> {
    // A session-level lock on a client of its own, held for the whole job; the work itself uses the pool.
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classifyDatabaseError(error);
    }
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        key,
      ]);
      if (!rows[0]?.locked) return { acquired: false };
      try {
        return { acquired: true, result: await work() };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch((error: Error) => {
          broken = error; // a session that could not unlock is discarded, which frees the lock
        });
      }
    } catch (error) {
      throw classifyDatabaseError(error);
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

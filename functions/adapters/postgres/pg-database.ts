import pg from 'pg';
import {
  LockLostError,
  type SqlDatabase,
  type SqlExecutor,
  type SqlRow,
  type SqlValue,
  settleLockedWork,
} from '../../ports/sql-database.port';
import { classifyDatabaseError } from './database-errors';

export interface PgDatabaseOptions {
  connectionString: string;
  /** Measured here: the hot tier row peaks at 2–8 connections on 2 cores; more only adds lock queueing. */
  maxConnections: number;
  /**
   * How long a caller waits for a pool connection (queued behind busy ones, or a new one opening) before
   * SERVICE_UNAVAILABLE (ms); default 15,000. A burst queues within the request's time rather than failing
   * fast (bench/waiting-room.ts: 5 s turned 20,000 joins at on-sale into hundreds of 503s).
   */
  poolWaitMs?: number;
  statementTimeoutMs?: number;
  onPoolError?: (error: Error) => void;
  /** How often (ms) tryWithLock checks that the session holding its lock is alive; default 30 000. */
  lockProbeMs?: number;
}

/** node-postgres, pooled. */
export class PgDatabase implements SqlDatabase {
  private readonly pool: pg.Pool;
  private readonly lockProbeMs: number;

  constructor(options: PgDatabaseOptions) {
    this.lockProbeMs = options.lockProbeMs ?? 30_000;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections,
      connectionTimeoutMillis: options.poolWaitMs ?? 15_000,
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

  /**
   * A session-level lock on a client of its own, held for the whole job; the work itself uses the pool. The
   * lock ends with its session: when that connection fails (an error event, or a `SELECT 1` probe every
   * `lockProbeMs` failing, which also catches a silently dead link), `lost` aborts and the call rejects
   * with LockLostError once the work ends.
   */
  async tryWithLock<T>(
    key: number,
    work: (lost: AbortSignal) => Promise<T>,
  ): Promise<{ acquired: true; result: T } | { acquired: false }> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classifyDatabaseError(error);
    }
    const controller = new AbortController();
    let broken: Error | undefined;
    const lose = (cause: unknown) => {
      if (!controller.signal.aborted) controller.abort(new LockLostError(key, { cause }));
    };
    const onError = (error: Error) => {
      broken = error;
      lose(error);
    };
    const onEnd = () => lose(new Error('the lock session ended'));
    client.on('error', onError);
    client.on('end', onEnd);
    let probe: NodeJS.Timeout | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        key,
      ]);
      if (!rows[0]?.locked) return { acquired: false };
      probe = setInterval(() => {
        client.query('SELECT 1').catch((error: Error) => {
          broken = error;
          lose(error);
        });
      }, this.lockProbeMs);
      try {
        return await settleLockedWork(controller, work);
      } finally {
        clearInterval(probe);
        if (!controller.signal.aborted)
          await client.query('SELECT pg_advisory_unlock($1)', [key]).catch((error: Error) => {
            broken = error; // a session that could not unlock is discarded, which frees the lock
          });
      }
    } catch (error) {
      throw error instanceof LockLostError ? error : classifyDatabaseError(error);
    } finally {
      clearInterval(probe);
      client.off('error', onError);
      client.off('end', onEnd);
      client.release(broken ?? (controller.signal.aborted ? new Error('lock lost') : undefined));
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

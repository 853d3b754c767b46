/** A scalar SQL parameter. Arrays are not portable to the RDS Data API: pass them joined, or as JSON text. */
export type SqlValue = string | number | boolean | null;

export type SqlRow = Record<string, unknown>;

/** What every PostgreSQL driver (node-postgres, PGlite, RDS Data API) offers the repositories. */
export interface SqlExecutor {
  query<T extends SqlRow = SqlRow>(text: string, params?: readonly SqlValue[]): Promise<T[]>;
}

export interface SqlDatabase extends SqlExecutor {
  /** Runs `work` in one transaction on one session: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs `work` while holding the PostgreSQL advisory lock `key`, or returns `{ acquired: false }` at once
   * when another session holds it. Across processes sharing the database, at most one runs at a time.
   *
   * The lock lives as long as a session or transaction does, and those can end under a running job (a
   * dropped connection, a Data API transaction that lapsed). `lost` aborts, with a LockLostError as its
   * reason, the moment the implementation learns the lock is gone: the work should stop at its next step.
   * When the work then ends (resolved or thrown), this rejects with that LockLostError (what revealed the
   * loss as its `cause`) instead of answering, so the caller reports the run as lost, never as done under the lock.
   */
  tryWithLock<T>(
    key: number,
    work: (lost: AbortSignal) => Promise<T>,
  ): Promise<{ acquired: true; result: T } | { acquired: false }>;
  close(): Promise<void>;
}

/** The advisory lock `key` was lost while its work ran (see SqlDatabase.tryWithLock). */
export class LockLostError extends Error {
  override readonly name = 'LockLostError';

  constructor(
    readonly key: number,
    options?: { cause?: unknown },
  ) {
    super(`The advisory lock ${key} was lost while its work ran`, options);
  }
}

/**
 * Runs `work` with `controller`'s signal and settles the way SqlDatabase.tryWithLock promises: the result
 * while the lock held, otherwise the LockLostError the controller was aborted with.
 */
export async function settleLockedWork<T>(
  controller: AbortController,
  work: (lost: AbortSignal) => Promise<T>,
): Promise<{ acquired: true; result: T }> {
  let result: T;
  try {
    result = await work(controller.signal);
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  }
  if (controller.signal.aborted) throw controller.signal.reason;
  return { acquired: true, result };
}

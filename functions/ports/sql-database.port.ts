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
   */
  tryWithLock<T>(
    key: number,
    work: () => Promise<T>,
  ): Promise<{ acquired: true; result: T } | { acquired: false }>;
  close(): Promise<void>;
}

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
  close(): Promise<void>;
}

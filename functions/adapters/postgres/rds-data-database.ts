import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type Field,
  RDSDataClient,
  RollbackTransactionCommand,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { TicketingError } from '../../core/errors';
import {
  LockLostError,
  type SqlDatabase,
  type SqlExecutor,
  type SqlRow,
  type SqlValue,
  settleLockedWork,
} from '../../ports/sql-database.port';
import { awsClientConfig } from '../aws/aws-client-config';

export interface RdsDataOptions {
  resourceArn: string;
  secretArn: string;
  database: string;
  region?: string;
  /** Only for a local endpoint that speaks the Data API. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How often (ms) tryWithLock keeps its transaction alive; default 60 000 (a third of the idle limit). */
  keepAliveMs?: number;
  /** How long (ms) one call may take before it fails; default 50 000 (the Data API answers within 45 s). */
  requestTimeoutMs?: number;
}

/** A Data API transaction with no statement for this long (ms) is ended by the service (AWS: 3 minutes). */
const TRANSACTION_IDLE_LIMIT_MS = 180_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// The Data API reports PostgreSQL errors as text only; the repositories look for these SQLSTATEs.
const SQLSTATE_BY_MESSAGE: Array<[RegExp, string]> = [
  [/duplicate key value violates unique constraint/i, '23505'],
  [/deadlock detected/i, '40P01'],
  [/could not serialize access/i, '40001'],
];
const UNAVAILABLE = new Set([
  'DatabaseUnavailableException',
  'DatabaseResumingException',
  'DatabaseNotFoundException',
  'ServiceUnavailableError',
  'StatementTimeoutException',
  'InternalServerErrorException',
  'HttpEndpointNotEnabledException',
]);

/**
 * Aurora through the RDS Data API: one HTTPS call per statement, no connections to pool. The SQL is the
 * same as for node-postgres: `$n` placeholders become `:pn`, strings that are UUIDs are typed as such,
 * and rows come back as JSON (`formatRecordsAs: 'JSON'`).
 */
export class RdsDataDatabase implements SqlDatabase {
  /** BeginTransaction and RollbackTransaction: safe to send again, so the SDK retries them. */
  private readonly client: RDSDataClient;
  /**
   * ExecuteStatement and CommitTransaction: one attempt. The SDK counts a timeout as transient and would
   * send the call again, yet the first may have run (a hold made twice, a commit answered "transaction not
   * found" after it committed). A failure is the caller's to retry, with its Idempotency-Key.
   */
  private readonly once: RDSDataClient;

  constructor(private readonly options: RdsDataOptions) {
    // Bounded calls: a hung keep-alive must fail, not wait past the transaction's idle limit. The Data API
    // answers a statement within 45 s or fails it (AWS: ExecuteStatement, continueAfterTimeout).
    const requestHandler = {
      connectionTimeout: 5_000,
      requestTimeout: options.requestTimeoutMs ?? 50_000,
      throwOnRequestTimeout: true,
    };
    this.client = new RDSDataClient({ ...awsClientConfig(options), maxAttempts: 3, requestHandler });
    this.once = new RDSDataClient({ ...awsClientConfig(options), maxAttempts: 1, requestHandler });
  }

  query<T extends SqlRow = SqlRow>(text: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.execute<T>(text, params, undefined);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const transactionId = await this.begin();
    try {
      const result = await work({
        query: <R extends SqlRow>(text: string, params: readonly SqlValue[] = []) =>
          this.execute<R>(text, params, transactionId),
      });
      await this.call(() =>
        this.once.send(new CommitTransactionCommand({ ...this.target(), transactionId })),
      );
      return result;
    } catch (error) {
      await this.call(() =>
        this.client.send(new RollbackTransactionCommand({ ...this.target(), transactionId })),
      ).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The lock lives in an open transaction (the Data API has no sessions), kept alive by a `SELECT 1` every
   * `keepAliveMs` while the work runs. Data API transactions end after 3 minutes without a statement
   * (AWS: "Calling the Amazon RDS Data API", transaction timeouts): a keep-alive the API refuses (the
   * transaction is gone), or keep-alives failing until the next would come too late, means the lock is
   * gone: `lost` aborts and the call rejects with LockLostError once the work ends.
   */
  async tryWithLock<T>(
    key: number,
    work: (lost: AbortSignal) => Promise<T>,
  ): Promise<{ acquired: true; result: T } | { acquired: false }> {
    const transactionId = await this.begin();
    let keepAlive: NodeJS.Timeout | undefined;
    try {
      const [row] = await this.execute(
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [key],
        transactionId,
      );
      if (row?.locked !== true) return { acquired: false };
      const controller = new AbortController();
      const interval = this.options.keepAliveMs ?? 60_000;
      let lastAlive = Date.now();
      keepAlive = setInterval(() => {
        // Keep-alives hanging or failing for so long that the next would come too late: the lock is gone.
        if (Date.now() - lastAlive + interval >= TRANSACTION_IDLE_LIMIT_MS && !controller.signal.aborted)
          controller.abort(new LockLostError(key, { cause: new Error('no keep-alive got through in time') }));
        this.execute('SELECT 1', [], transactionId).then(
          () => {
            lastAlive = Date.now();
          },
          (error: unknown) => {
            // A brief outage the SDK could not ride out is tolerated while the transaction must still be
            // open; any other answer (BadRequest: transaction not found) means it has ended.
            const transient = error instanceof TicketingError && error.code === 'SERVICE_UNAVAILABLE';
            const tooLate = Date.now() - lastAlive + interval >= TRANSACTION_IDLE_LIMIT_MS;
            if ((!transient || tooLate) && !controller.signal.aborted)
              controller.abort(new LockLostError(key, { cause: error }));
          },
        );
      }, interval);
      return await settleLockedWork(controller, work);
    } finally {
      clearInterval(keepAlive);
      await this.call(() =>
        this.client.send(new RollbackTransactionCommand({ ...this.target(), transactionId })),
      ).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    this.once.destroy();
  }

  private target() {
    return { resourceArn: this.options.resourceArn, secretArn: this.options.secretArn };
  }

  private async begin(): Promise<string> {
    const { transactionId } = await this.call(() =>
      this.client.send(new BeginTransactionCommand({ ...this.target(), database: this.options.database })),
    );
    if (!transactionId) throw new Error('BeginTransaction returned no transaction id');
    return transactionId;
  }

  private async execute<T extends SqlRow>(
    text: string,
    params: readonly SqlValue[],
    transactionId: string | undefined,
  ): Promise<T[]> {
    const output = await this.call(() =>
      this.once.send(
        new ExecuteStatementCommand({
          ...this.target(),
          database: this.options.database,
          sql: text.replace(/\$(\d+)/g, ':p$1'),
          parameters: params.map((value, i) => toParameter(`p${i + 1}`, value)),
          formatRecordsAs: 'JSON',
          ...(transactionId ? { transactionId } : {}),
        }),
      ),
    );
    return output.formattedRecords ? (JSON.parse(output.formattedRecords) as T[]) : [];
  }

  private async call<O>(request: () => Promise<O>): Promise<O> {
    try {
      return await request();
    } catch (error) {
      throw classify(error);
    }
  }
}

function toParameter(name: string, value: SqlValue): SqlParameter {
  let field: Field;
  if (value === null) field = { isNull: true };
  else if (typeof value === 'boolean') field = { booleanValue: value };
  else if (typeof value === 'number')
    field = Number.isInteger(value) ? { longValue: value } : { doubleValue: value };
  else field = { stringValue: value };
  return typeof value === 'string' && UUID.test(value)
    ? { name, value: field, typeHint: 'UUID' }
    : { name, value: field };
}

function classify(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (UNAVAILABLE.has(error.name)) {
    return new TicketingError(
      'SERVICE_UNAVAILABLE',
      'The database is unavailable; try again shortly',
      undefined,
      { cause: error },
    );
  }
  for (const [pattern, code] of SQLSTATE_BY_MESSAGE) {
    if (pattern.test(error.message)) return Object.assign(error, { code });
  }
  return error;
}

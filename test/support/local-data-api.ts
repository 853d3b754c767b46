import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { RdsDataOptions } from '../../functions/adapters/postgres/rds-data-database';

/**
 * A local stand-in for the RDS Data API (restJson1, as `@aws-sdk/client-rds-data` speaks it) that runs
 * each statement on real PostgreSQL. Nothing maintained does this, so it lives with the tests. It is
 * strict where Aurora is: `:name` parameters are bound with the type their field implies (a stringValue
 * is a varchar unless typeHint says UUID, a longValue is a bigint), one statement per call, and rows come
 * back as `formattedRecords` with timestamps as "YYYY-MM-DD HH:MM:SS.fff" (UTC, no zone).
 */
/**
 * What an RdsDataDatabase needs to talk to `api` about the test database `databaseName`: placeholder ARNs
 * and credentials (the stand-in checks neither), plus any `extra` option (timeouts, keep-alive).
 */
export function localDataApiOptions(
  api: Pick<LocalDataApi, 'url'>,
  databaseName: string,
  extra: Partial<RdsDataOptions> = {},
): RdsDataOptions {
  return {
    resourceArn: 'arn:aws:rds:ap-southeast-1:123456789012:cluster:concert-tickets',
    secretArn: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:concert-tickets-db',
    database: databaseName,
    region: 'ap-southeast-1',
    endpoint: api.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...extra,
  };
}

export interface LocalDataApi {
  url: string;
  statements: number;
  /**
   * Ends every open transaction the way Aurora ends one left 3 minutes without a statement: rolled back,
   * and its id unknown from then on. Returns how many there were.
   */
  forgetTransactions(): Promise<number>;
  /** Answers the next `n` calls this many ms late, after doing their work (a reply lost in a slow network). */
  answerLate(ms: number, n?: number): void;
  close(): Promise<void>;
}

type Field = {
  stringValue?: string;
  longValue?: number;
  doubleValue?: number;
  booleanValue?: boolean;
  isNull?: boolean;
};
type Parameter = { name: string; value: Field; typeHint?: string };

const HINT_TYPES: Record<string, string> = {
  UUID: 'uuid',
  TIMESTAMP: 'timestamp',
  DATE: 'date',
  TIME: 'time',
  DECIMAL: 'numeric',
  JSON: 'json',
};

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 1184 || oid === 1114) return (value: string) => value.replace(/([+-]\d\d(:\d\d)?)$/, '');
    if (oid === 20) return (value: string) => Number(value);
    if (oid === 1082) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  },
};

export async function startLocalDataApi(databaseUrl: string): Promise<LocalDataApi> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, types, options: '-c TimeZone=UTC' });
  // The test database is dropped WITH (FORCE) at the end: a connection cut then is expected.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const transactions = new Map<string, pg.PoolClient>();
  const api: LocalDataApi = {
    url: '',
    statements: 0,
    forgetTransactions: async () => {
      const open = [...transactions];
      transactions.clear();
      for (const [, client] of open) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release();
      }
      return open.length;
    },
    answerLate: (ms, n = 1) => {
      late = { ms, left: n };
    },
    close: async () => undefined,
  };
  let late = { ms: 0, left: 0 };

  const handlers: Record<string, (body: any) => Promise<unknown>> = {
    '/BeginTransaction': async () => {
      const client = await pool.connect();
      await client.query('BEGIN');
      const transactionId = randomUUID();
      transactions.set(transactionId, client);
      return { transactionId };
    },
    '/CommitTransaction': async (body) => ({ transactionStatus: await finish(body.transactionId, 'COMMIT') }),
    '/RollbackTransaction': async (body) => ({
      transactionStatus: await finish(body.transactionId, 'ROLLBACK'),
    }),
    '/Execute': async (body) => {
      api.statements++;
      const { text, values } = bind(String(body.sql), (body.parameters ?? []) as Parameter[]);
      const client = body.transactionId ? transactions.get(body.transactionId) : undefined;
      if (body.transactionId && !client) throw badRequest(`Transaction ${body.transactionId} is not found`);
      const result = await (client ?? pool).query(text, values);
      if (Array.isArray(result)) throw badRequest('Multistatement SQL is not supported');
      return {
        numberOfRecordsUpdated: result.command === 'SELECT' ? 0 : (result.rowCount ?? 0),
        ...(body.formatRecordsAs === 'JSON' ? { formattedRecords: JSON.stringify(result.rows ?? []) } : {}),
      };
    },
  };

  async function finish(transactionId: string, verb: 'COMMIT' | 'ROLLBACK'): Promise<string> {
    const client = transactions.get(transactionId);
    if (!client) throw badRequest(`Transaction ${transactionId} is not found`);
    transactions.delete(transactionId);
    try {
      await client.query(verb);
    } finally {
      client.release();
    }
    return verb === 'COMMIT' ? 'Transaction Committed' : 'Rollback Complete';
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const handler = handlers[req.url ?? ''];
      try {
        if (!handler) throw badRequest(`Unknown operation ${req.url}`);
        const output = await handler(JSON.parse(Buffer.concat(chunks).toString() || '{}'));
        if (late.left > 0) {
          late.left--;
          await new Promise((resolve) => setTimeout(resolve, late.ms));
        }
        if (!res.destroyed)
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(output));
      } catch (error) {
        const message = error instanceof Error ? `ERROR: ${error.message}` : String(error);
        res
          .writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'BadRequestException' })
          .end(JSON.stringify({ message }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = async () => {
    await new Promise((resolve) => server.close(resolve));
    for (const client of transactions.values()) client.release(true);
    await pool.end();
  };
  return api;
}

function badRequest(message: string): Error {
  return new Error(message);
}

/** `:name` → `$k::type`, outside string literals and dollar-quoted bodies; `::casts` are left alone. */
function bind(sql: string, parameters: Parameter[]): { text: string; values: unknown[] } {
  const byName = new Map(parameters.map((p) => [p.name, p]));
  const order: string[] = [];
  let text = '';
  for (let i = 0; i < sql.length; ) {
    const rest = sql.slice(i);
    const literal = /^('(?:[^']|'')*'|\$\$[\s\S]*?\$\$)/.exec(rest);
    if (literal) {
      text += literal[0];
      i += literal[0].length;
      continue;
    }
    const param = /^:([A-Za-z_]\w*)/.exec(rest);
    if (param && sql[i - 1] !== ':' && byName.has(param[1] ?? '')) {
      const parameter = byName.get(param[1] ?? '') as Parameter;
      let index = order.indexOf(parameter.name);
      if (index < 0) index = order.push(parameter.name) - 1;
      text += `$${index + 1}${castFor(parameter)}`;
      i += param[0].length;
      continue;
    }
    text += sql[i];
    i++;
  }
  return { text, values: order.map((name) => fieldValue((byName.get(name) as Parameter).value)) };
}

function castFor(parameter: Parameter): string {
  const { value, typeHint } = parameter;
  if (value.isNull) return typeHint ? `::${HINT_TYPES[typeHint]}` : '';
  if (value.stringValue !== undefined) return `::${typeHint ? HINT_TYPES[typeHint] : 'varchar'}`;
  if (value.longValue !== undefined) return '::bigint';
  if (value.doubleValue !== undefined) return '::float8';
  if (value.booleanValue !== undefined) return '::boolean';
  throw badRequest(`Unsupported parameter ${parameter.name}`);
}

function fieldValue(field: Field): unknown {
  if (field.isNull) return null;
  return field.stringValue ?? field.longValue ?? field.doubleValue ?? field.booleanValue ?? null;
}

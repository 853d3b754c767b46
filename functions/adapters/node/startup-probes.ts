import type { Redis } from 'ioredis';

/** How long (ms) a process waits at start-up for a dependency to answer before it gives up. */
export const STARTUP_PROBE_MS = 10_000;

/**
 * A dependency that cannot be reached at start-up. The message is one line naming the variable and the
 * address (never a password), e.g. `REDIS_URL: cannot reach Redis at 127.0.0.1:6390 within 10 s (…)`.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export { makeDirectory } from './make-directory';

/** `host:port` of a connection URL, for messages: never its user's password. */
export function addressOf(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || defaultPort}`;
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Connects once to DATABASE_URL within `timeoutMs`. A database that does not exist is created (through the
 * server's `postgres` maintenance database, when the user may CREATE DATABASE) and `onCreated` is told.
 * @throws StartupError naming DATABASE_URL and host:port when the server cannot be reached, refuses the
 *   login, or the database is missing and cannot be created
 */
export async function probePostgres(
  url: string,
  onCreated: (database: string) => void,
  timeoutMs = STARTUP_PROBE_MS,
): Promise<void> {
  const address = addressOf(url, 5432);
  // node-postgres only when DATABASE_URL asks for it: a Lambda on the Data API never loads it (issue 19).
  const { default: pg } = await import('pg');
  const connect = async (connectionString: string) => {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs });
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  try {
    await (await connect(url)).end();
    return;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '3D000') throw new StartupError(`DATABASE_URL: ${unreachable(address, error, timeoutMs)}`);
  }
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  try {
    const client = await connect(maintenance.toString());
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    } catch (error) {
      // Another replica created it meanwhile: fine.
      if ((error as { code?: string }).code !== '42P04') throw error;
    } finally {
      await client.end();
    }
  } catch (error) {
    throw new StartupError(
      `DATABASE_URL: database "${database}" does not exist on ${address} and could not be created (${reason(error)}); create it with: createdb -h ${address.split(':')[0]} ${database}`,
    );
  }
  onCreated(database);
}

/**
 * Waits until the Redis client is ready (connected, and authenticated when the URL has a password).
 * @throws StartupError naming REDIS_URL and host:port when it is not ready within `timeoutMs`
 */
export async function awaitRedis(redis: Redis, url: string, timeoutMs = STARTUP_PROBE_MS): Promise<void> {
  if (redis.status === 'ready') return;
  let lastError: unknown;
  const onError = (error: unknown) => {
    lastError = error;
  };
  redis.on('error', onError);
  try {
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(
        () =>
          fail(
            new StartupError(
              `REDIS_URL: cannot reach Redis at ${addressOf(url, 6379)} within ${timeoutMs / 1000} s (${lastError ? reason(lastError) : 'no answer'})`,
            ),
          ),
        timeoutMs,
      );
      redis.once('ready', () => {
        clearTimeout(timer);
        done();
      });
    });
  } finally {
    redis.off('error', onError);
  }
}

function unreachable(address: string, error: unknown, timeoutMs: number): string {
  const code = (error as { code?: string }).code;
  if (code === '28P01' || code === '28000')
    return `PostgreSQL at ${address} refused the login (${reason(error)})`;
  if (/timeout/i.test(reason(error)))
    return `no answer from PostgreSQL at ${address} within ${timeoutMs / 1000} s`;
  return `cannot reach PostgreSQL at ${address} (${reason(error)})`;
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  const message = error instanceof Error ? error.message : String(error);
  return message || ((error as { code?: string }).code ?? 'unknown error');
}

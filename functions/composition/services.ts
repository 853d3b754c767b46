import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { JoseTokenService } from '../adapters/jose-token-service';
import { PgDatabase } from '../adapters/pg-database';
import { RateLimiterLoginThrottle } from '../adapters/rate-limiter-login-throttle';
import { ScryptPasswordHasher } from '../adapters/scrypt-password-hasher';
import { SqlConcertRepository } from '../adapters/sql-concert-repository';
import { SqlReservationRepository } from '../adapters/sql-reservation-repository';
import { SqlUserRepository } from '../adapters/sql-user-repository';
import type { ServiceConfig } from '../config/service-config';
import { type AuthDeps, ensureAdmin } from '../core/auth.service';
import type { ReservationDeps } from '../core/reservations.service';
import { migrate } from '../db/migrate';
import type { ConcertRepository } from '../ports/concert.repository.port';
import type { SqlDatabase } from '../ports/sql-database.port';
import type { TokenService } from '../ports/token-service.port';

/** Everything a handler needs, built once per process (per Lambda container) from validated config. */
export interface Services {
  config: ServiceConfig;
  logger: Logger;
  db: SqlDatabase;
  redis: Redis | undefined;
  tokens: TokenService;
  auth: AuthDeps;
  concerts: ConcertRepository;
  reservations: ReservationDeps;
  /** Answers which dependencies respond right now. */
  readiness(): Promise<Record<string, boolean>>;
  close(): Promise<void>;
}

export interface BuildOptions {
  /** Apply pending migrations before serving (the shim and CLI do; Lambdas rely on a deploy-time migrate). */
  migrate?: boolean;
  logger?: Logger;
}

export async function buildServices(config: ServiceConfig, options: BuildOptions = {}): Promise<Services> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { instance: config.instanceId } });
  const db = await openDatabase(config, logger);
  const redis = config.redisUrl ? openRedis(config.redisUrl, logger) : undefined;
  try {
    if (options.migrate) {
      const applied = await migrate(db);
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    }
    const passwords = new ScryptPasswordHasher();
    const tokens = new JoseTokenService(config.jwtSecret ?? (await localJwtSecret(config.dataDir)));
    const users = new SqlUserRepository(db);
    if (config.admin) await ensureAdmin({ users, passwords }, config.admin);
    const loginThrottle = new RateLimiterLoginThrottle(
      {
        perAddressPerMinute: config.loginAttemptsPerMinute,
        perAccountPerQuarterHour: config.loginAttemptsPerMinute,
      },
      redis ? { client: redis, keyPrefix: config.redisKeyPrefix } : undefined,
    );
    return {
      config,
      logger,
      db,
      redis,
      tokens,
      auth: { users, passwords, tokens, loginThrottle },
      concerts: new SqlConcertRepository(db),
      reservations: {
        reservations: new SqlReservationRepository(db),
        settings: { holdSeconds: config.holdSeconds, perUserLimit: config.perUserLimit },
      },
      readiness: async () => {
        const answers = (check: Promise<unknown>) =>
          check.then(
            () => true,
            () => false,
          );
        const checks: Record<string, boolean> = { database: await answers(db.query('SELECT 1')) };
        if (redis) checks.redis = await answers(redis.ping());
        return checks;
      },
      close: async () => {
        await Promise.allSettled([db.close(), redis?.quit()]);
      },
    };
  } catch (error) {
    await Promise.allSettled([db.close(), redis?.quit()]);
    throw error;
  }
}

export async function openDatabase(config: ServiceConfig, logger: Logger): Promise<SqlDatabase> {
  if (config.databaseUrl) {
    return new PgDatabase({
      connectionString: config.databaseUrl,
      maxConnections: config.dbPoolMax,
      onPoolError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
    });
  }
  await mkdir(config.dataDir, { recursive: true });
  logger.info({ dataDir: config.dataDir }, 'using the embedded PGlite database');
  // Loaded only here, so Lambda bundles never carry the WebAssembly database.
  const { PgliteDatabase } = await import('../adapters/pglite-database');
  return PgliteDatabase.open(join(config.dataDir, 'pglite'));
}

function openRedis(url: string, logger: Logger): Redis {
  // No offline queue: while Redis is away, calls fail at once instead of piling up behind a sale.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  let lastReported = 0;
  redis.on('error', (error) => {
    if (Date.now() - lastReported > 10_000) {
      lastReported = Date.now();
      logger.warn({ err: error }, 'redis unavailable');
    }
  });
  return redis;
}

/** Outside production a signing key is generated on first start and kept, so restarts keep sessions. */
async function localJwtSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, 'jwt-secret');
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch {
    // first start
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    await writeFile(path, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    // Another process wrote it first: use theirs.
    return (await readFile(path, 'utf8')).trim();
  }
}

import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { ApiGatewayPusher } from '../adapters/apigw-management-pusher';
import { AwsBackupVerifier } from '../adapters/aws-backup-verifier';
import { CachedConcertRepository } from '../adapters/cached-concert-repository';
import { lockDataDir } from '../adapters/data-dir-lock';
import { EmfMetrics } from '../adapters/emf-metrics';
import { JoseTokenService } from '../adapters/jose-token-service';
import { localJwtKey } from '../adapters/local-jwt-key';
import { LogMailer } from '../adapters/log-mailer';
import { MemoryConnectionRegistry } from '../adapters/memory-connection-registry';
import { MemoryEventBus } from '../adapters/memory-event-bus';
import { MirroredConnectionRegistry } from '../adapters/mirrored-connection-registry';
import { PgDatabase } from '../adapters/pg-database';
import { PgDumpBackup } from '../adapters/pg-dump-backup';
import { PgliteBackup } from '../adapters/pglite-backup';
import { PrometheusMetrics } from '../adapters/prometheus-metrics';
import { RateLimiterLoginThrottle } from '../adapters/rate-limiter-login-throttle';
import { RdsDataDatabase } from '../adapters/rds-data-database';
import { RedisConnectionRegistry } from '../adapters/redis-connection-registry';
import { RedisEventBus } from '../adapters/redis-event-bus';
import { redisKeys } from '../adapters/redis-keys';
import { RedisRelayStream } from '../adapters/redis-relay-stream';
import { currentRequestId, runAsRequest } from '../adapters/request-context';
import { ScryptPasswordHasher } from '../adapters/scrypt-password-hasher';
import { readSecret } from '../adapters/secrets-manager';
import { SesMailer } from '../adapters/ses-mailer';
import { SmtpMailer } from '../adapters/smtp-mailer';
import { SqlConcertRepository } from '../adapters/sql-concert-repository';
import { SqlMaintenanceRepository } from '../adapters/sql-maintenance-repository';
import { SqlOutboxRepository } from '../adapters/sql-outbox-repository';
import { SqlReportRepository } from '../adapters/sql-report-repository';
import { SqlReservationRepository } from '../adapters/sql-reservation-repository';
import { SqlSalesRepository } from '../adapters/sql-sales-repository';
import { SqlUserRepository } from '../adapters/sql-user-repository';
import { awaitRedis, makeDirectory, probePostgres } from '../adapters/startup-probes';
import { weakSecretReason } from '../config/published-secrets';
import { ConfigError, type ServiceConfig } from '../config/service-config';
import { AccountCheckedTokens } from '../core/account-checked-tokens';
import { type AuthDeps, ensureAdmin } from '../core/auth.service';
import { AvailabilityPublisher } from '../core/availability-publisher';
import { ConcertSnapshots } from '../core/concert-snapshots';
import { HoldExpiryTimer } from '../core/hold-expiry-timer';
import type { JobDeps } from '../core/jobs.service';
import { expireHolds, newRunId } from '../core/jobs.service';
import { eventSummary } from '../core/realtime';
import type { ReservationDeps } from '../core/reservations.service';
import { migrate } from '../db/migrate';
import type { BackupTarget } from '../ports/backup.port';
import type { ConcertRepository } from '../ports/concert.repository.port';
import type { ConnectionPusher } from '../ports/connection-pusher.port';
import type { ConnectionRegistry } from '../ports/connection-registry.port';
import type { EventBus } from '../ports/event-bus.port';
import type { Mailer } from '../ports/mailer.port';
import type { JobRunRecord, MaintenanceRepository } from '../ports/maintenance.repository.port';
import type { RealtimeEvents } from '../ports/realtime-events.port';
import type { RelayStream } from '../ports/relay-stream.port';
import type { ReportRepository } from '../ports/report.repository.port';
import type { SalesRepository } from '../ports/sales.repository.port';
import type { ServiceMetrics } from '../ports/service-metrics.port';
import type { SqlDatabase } from '../ports/sql-database.port';
import type { TokenService } from '../ports/token-service.port';
import { buildWaitingRoom, type WaitingRoomServices } from './waiting-room';

/** Everything a handler needs, built once per process (per Lambda container) from validated config. */
export interface Services {
  config: ServiceConfig;
  logger: Logger;
  db: SqlDatabase;
  redis: Redis | undefined;
  tokens: TokenService;
  auth: AuthDeps;
  /** Concert reads for HTTP GETs: from memory in long-running processes (see cacheConcertReads). */
  concerts: ConcertRepository;
  /** Always the database: what a joining watcher's snapshot is read from, so a re-join heals. */
  storedConcerts: ConcertRepository;
  reservations: ReservationDeps;
  /** Announces committed changes; awaited by Lambda handlers (`settled`), fire-and-forget elsewhere. */
  events: AvailabilityPublisher;
  /** Prometheus counters and histograms of this process (served at /metrics by the shim), or EMF on Lambda. */
  metrics: ServiceMetrics;
  reports: ReportRepository;
  /** Sold and held apart per tier, for the organiser's console (GET /api/admin/sales). */
  sales: SalesRepository;
  /** What the scheduled jobs need; `progress` goes to the log unless a caller (the CLI) replaces it. */
  jobs: JobDeps;
  realtime: {
    bus: EventBus;
    registry: ConnectionRegistry;
    /** The process's one snapshot cache for joining watchers (at most one database read per concert a second). */
    snapshots: ConcertSnapshots;
    /** Only with Redis: the relay's stream, position and lease. */
    relayStream: RelayStream | undefined;
    /** The management endpoint PostToConnection goes to; the local shim sets its own address here. */
    callbackUrl: string | undefined;
    pusherFor(endpoint: string): ConnectionPusher;
  };
  /** The waiting room (issue 20): queue store, admissions, tokens, the admission ticker, live followers. */
  waitingRoom: WaitingRoomServices;
  /** Answers which dependencies respond right now. */
  readiness(): Promise<Record<string, boolean>>;
  close(): Promise<void>;
}

export interface BuildOptions {
  /** Apply pending migrations before serving (the shim and CLI do; Lambdas rely on a deploy-time migrate). */
  migrate?: boolean;
  /** Serve concert reads from memory kept fresh by the bus (long-running processes, not Lambda). */
  cacheConcertReads?: boolean;
  logger?: Logger;
  /**
   * Check each dependency answers before going on (PostgreSQL, Redis: 10 s each) and fail with one line
   * naming its variable and address. Default: everywhere but on Lambda (AWS_LAMBDA_FUNCTION_NAME), where a
   * failed cold start is retried by the next request. A running process that loses Redis later degrades.
   */
  startupChecks?: boolean;
}

export async function buildServices(config: ServiceConfig, options: BuildOptions = {}): Promise<Services> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { instance: config.instanceId } });
  const startup = options.startupChecks ?? !process.env.AWS_LAMBDA_FUNCTION_NAME;
  const db = await openDatabase(config, logger, startup);
  const redisUrl = await resolveRedisUrl(config);
  const redis = redisUrl ? openRedis(redisUrl, logger, startup) : undefined;
  try {
    if (startup && redis && config.redisUrl) await awaitRedis(redis, config.redisUrl);
    if (options.migrate) {
      const applied = await migrate(db);
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    }
    const passwords = new ScryptPasswordHasher();
    const users = new SqlUserRepository(db);
    // Every verification re-checks the account (role, existence, token version) within 5 s.
    const jwtKey = await signingKey(config);
    const tokens = new AccountCheckedTokens(new JoseTokenService(jwtKey), (userId) => users.standing(userId));
    if (config.admin) await ensureAdmin({ users, passwords }, config.admin);
    const loginThrottle = new RateLimiterLoginThrottle(
      {
        perAddressPerMinute: config.loginAttemptsPerMinute,
        failuresPerAccountAndAddress: config.loginAttemptsPerMinute,
        accountFailuresBeforeSlowDown: 2 * config.loginAttemptsPerMinute,
        slowDownSeconds: 15 * 60,
        registrationsPerAddressPerMinute: config.registrationsPerAddressPerMinute,
      },
      redis ? { client: redis, keyPrefix: config.redisKeyPrefix } : undefined,
    );
    const storedConcerts = new SqlConcertRepository(db);
    const keys = redisKeys(config.redisKeyPrefix);
    const onListenerError = (error: unknown) => logger.error({ err: error }, 'a real-time listener failed');
    const bus: EventBus = redis
      ? new RedisEventBus(
          redis,
          keys,
          undefined,
          (length) => logger.warn({ length }, 'dropped a malformed real-time message from Redis'),
          onListenerError,
        )
      : new MemoryEventBus(onListenerError);
    const relayStream = redis ? new RedisRelayStream(redis, keys) : undefined;
    const cache = options.cacheConcertReads ? new CachedConcertRepository(storedConcerts) : undefined;
    await cache?.listen(bus);
    const concerts: ConcertRepository = cache ?? storedConcerts;
    // Snapshots for the watchers always come from the database, never from the cache they refresh.
    const snapshots = new ConcertSnapshots(storedConcerts, { maxAgeMs: 1_000, maxEntries: 10_000 });
    const events = new AvailabilityPublisher(storedConcerts, bus, {
      coalesceMs: config.realtimeCoalesceMs,
      onError: (error, message) => logger.warn({ err: error, failures: events.failures }, message),
      currentRequestId,
      onPublished: (message, trace) => logger.debug({ ...eventSummary(message), ...trace }, 'published'),
      // Read-your-writes: this instance's next GET (and next join) after a committed change reads the
      // database, even when the published update never comes back (Redis down).
      onChanged: (concertId) => {
        cache?.invalidate(concertId);
        snapshots.invalidate(concertId);
      },
    });
    const pushers = new Map<string, ConnectionPusher>();
    const sharedRegistry = redis
      ? new RedisConnectionRegistry(redis, keys, { ttlSeconds: config.wsRegistryTtlSeconds })
      : undefined;
    // Long-running processes fan out from their own connections in memory and keep Redis (the relay's
    // copy) refreshed and rebuilt from them; Lambdas use Redis alone.
    const registry: ConnectionRegistry = !sharedRegistry
      ? new MemoryConnectionRegistry()
      : options.cacheConcertReads
        ? new MirroredConnectionRegistry(sharedRegistry, (error) =>
            logger.warn(
              { err: error },
              'connection registry in Redis not updated; the next refresh heals it',
            ),
          )
        : sharedRegistry;
    const reports = new SqlReportRepository(db);
    const mailer = openMailer(config, logger);
    const metrics: ServiceMetrics =
      config.metricsFormat === 'emf' ? new EmfMetrics() : new PrometheusMetrics();
    const announced = countingEvents(metrics, events);
    const jobs: JobDeps = {
      locks: db,
      maintenance: countingJobRuns(metrics, new SqlMaintenanceRepository(db)),
      outbox: new SqlOutboxRepository(db),
      reports,
      mailer,
      events: announced,
      registry,
      backup: backupTarget(config, db),
      timeZone: config.scheduleTimeZone,
      now: () => new Date(),
      progress: (message, details) => logger.info(details ?? {}, message),
      correlate: runAsRequest,
    };
    // Long-running processes free each hold the moment it runs out, and watchers see it then.
    const expiry =
      config.realtimeCoalesceMs > 0
        ? new HoldExpiryTimer(
            async () => {
              await runAsRequest(newRunId('hold-expiry'), () =>
                expireHolds({
                  ...jobs,
                  progress: (message, details) => logger.debug(details ?? {}, message),
                }),
              );
            },
            (error) =>
              logger.warn({ err: error }, 'could not release overdue holds; the expire-holds job will'),
          )
        : undefined;
    if (expiry && options.cacheConcertReads) await armHeldExpiries(db, expiry);
    const waitingRoom = buildWaitingRoom({
      config,
      logger,
      db,
      redis,
      keys,
      signingKey: jwtKey,
      concerts,
      storedConcerts,
      longRunning: options.cacheConcertReads ?? false,
    });
    // Long-running processes each run a ticker; the lease lets one admit at a time (Lambda: the schedule).
    if (options.cacheConcertReads) waitingRoom.ticker.start();
    return {
      config,
      logger,
      db,
      redis,
      tokens,
      auth: { users, passwords, tokens, loginThrottle },
      concerts,
      storedConcerts,
      reservations: {
        reservations: new SqlReservationRepository(db),
        settings: {
          holdSeconds: config.holdSeconds,
          perUserLimit: config.perUserLimit,
          activeHoldLimit: config.activeHoldLimit,
        },
        events: expiry ? timingHolds(announced, expiry, config.holdSeconds) : announced,
        admission: waitingRoom.admission,
      },
      events,
      metrics,
      reports,
      sales: new SqlSalesRepository(db),
      jobs,
      realtime: {
        bus,
        registry,
        snapshots,
        relayStream,
        callbackUrl: config.websocketCallbackUrl,
        pusherFor: (endpoint) => {
          let pusher = pushers.get(endpoint);
          if (!pusher) {
            // A plain-HTTP endpoint is the local shim, which checks no signature.
            const local = endpoint.startsWith('http://');
            pusher = new ApiGatewayPusher({
              endpoint,
              ...(local
                ? { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
                : {}),
            });
            pushers.set(endpoint, pusher);
          }
          return pusher;
        },
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
      waitingRoom,
      close: async () => {
        await waitingRoom.ticker.stop();
        expiry?.close();
        events.close();
        await cache?.close();
        if (mailer instanceof SmtpMailer) mailer.close();
        relayStream?.close();
        // quit() waits for a connection a Redis that is away never gives: then just drop the client.
        await Promise.allSettled([
          db.close(),
          redis?.status === 'ready' ? redis.quit() : Promise.resolve(redis?.disconnect()),
        ]);
      },
    };
  } catch (error) {
    redis?.disconnect();
    await db.close().catch(() => {});
    throw error;
  }
}

/** SMTP when SMTP_URL is set (containers), SES when SES_REGION is (AWS), else the log (embedded). */
function openMailer(config: ServiceConfig, logger: Logger): Mailer {
  if (config.smtpUrl) return new SmtpMailer(config.smtpUrl, config.emailFrom);
  if (config.ses) {
    return new SesMailer(config.emailFrom, {
      region: config.ses.region,
      ...(config.ses.endpoint ? { endpoint: config.ses.endpoint, credentials: LOCAL_CREDENTIALS } : {}),
    });
  }
  return new LogMailer(logger);
}

/** AWS: verify the plan's recovery points; PostgreSQL: pg_dump; embedded: a data-directory tarball. */
function backupTarget(config: ServiceConfig, db: SqlDatabase): BackupTarget | undefined {
  if (config.backupVerify) {
    const { endpoint, ...verify } = config.backupVerify;
    return new AwsBackupVerifier({
      ...verify,
      ...(endpoint ? { endpoint, credentials: LOCAL_CREDENTIALS } : {}),
    });
  }
  if (config.databaseUrl)
    return new PgDumpBackup(config.databaseUrl, config.backupDir, config.backupRetention);
  const embedded = db as Partial<{ dumpDataDir(): Promise<Uint8Array> }>;
  if (typeof embedded.dumpDataDir === 'function') {
    return new PgliteBackup(
      embedded as { dumpDataDir(): Promise<Uint8Array> },
      config.backupDir,
      config.backupRetention,
    );
  }
  return undefined;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

async function signingKey(config: ServiceConfig): Promise<string> {
  if (config.jwtSecret) return config.jwtSecret;
  if (config.jwtSecretArn) {
    const key = await readSecret(config.jwtSecretArn, secretsOptions(config));
    const weakness = weakSecretReason(key, 'signing-key');
    if (weakness) throw new ConfigError(`JWT_SECRET_ARN: the signing key in Secrets Manager ${weakness}`);
    return key;
  }
  await dataFolder(config);
  return localJwtKey(config.dataDir);
}

const secretsOptions = (config: ServiceConfig) =>
  config.secretsManagerEndpoint
    ? { endpoint: config.secretsManagerEndpoint, credentials: LOCAL_CREDENTIALS }
    : {};

/** The ElastiCache auth token is kept in Secrets Manager, never in the function's environment. */
async function resolveRedisUrl(config: ServiceConfig): Promise<string | undefined> {
  if (!config.redisUrl || !config.redisAuthSecretArn) return config.redisUrl;
  const token = await readSecret(config.redisAuthSecretArn, secretsOptions(config));
  const url = new URL(config.redisUrl);
  url.password = token;
  return url.toString();
}

/** Creates DATA_DIR when missing. @throws ConfigError naming DATA_DIR when it cannot be created */
async function dataFolder(config: ServiceConfig): Promise<void> {
  await makeDirectory(config.dataDir).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(
      `DATA_DIR: cannot create the data folder ${config.dataDir} (${error.code ?? error.message})`,
    );
  });
}

/**
 * The configured database: the Data API, PostgreSQL (DATABASE_URL) or the embedded PGlite in DATA_DIR
 * (locked for this process: see data-dir-lock). With `startupChecks` (default) PostgreSQL is probed first,
 * within 10 s, and a missing database created.
 * @throws StartupError naming DATABASE_URL and its host:port when PostgreSQL cannot be reached
 * @throws ConfigError naming DATA_DIR when the data folder cannot be created
 * @throws DataDirInUseError when another living process owns DATA_DIR
 */
export async function openDatabase(
  config: ServiceConfig,
  logger: Logger,
  startupChecks = true,
): Promise<SqlDatabase> {
  if (!config.databaseUrl && config.dataApi) {
    const { endpoint, ...target } = config.dataApi;
    return new RdsDataDatabase({
      ...target,
      ...(endpoint ? { endpoint, credentials: LOCAL_CREDENTIALS } : {}),
    });
  }
  if (config.databaseUrl) {
    if (startupChecks) {
      await probePostgres(config.databaseUrl, (database) =>
        logger.warn({ database }, `created the database "${database}" (it did not exist)`),
      );
    }
    return new PgDatabase({
      connectionString: config.databaseUrl,
      maxConnections: config.dbPoolMax,
      onPoolError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
    });
  }
  await dataFolder(config);
  // One process owns an embedded data folder: taken before PGlite opens it, released when it closes.
  const lock = lockDataDir(config.dataDir);
  logger.info({ dataDir: config.dataDir }, 'using the embedded PGlite database');
  // A specifier esbuild cannot follow: Lambda bundles never carry the WebAssembly database.
  const embeddedModule = '../adapters/pglite-database';
  let embedded: typeof import('../adapters/pglite-database');
  try {
    embedded = await import(/* @vite-ignore */ embeddedModule);
  } catch (error) {
    lock.release();
    throw new Error(
      'No database configured: set DATABASE_URL or DATA_API_RESOURCE_ARN (this build has no embedded database)',
      {
        cause: error,
      },
    );
  }
  return embedded.PgliteDatabase.open(join(config.dataDir, 'pglite'), lock.release);
}

/** @param quietUntilReady the start-up check reports an unreachable Redis itself, in one line */
function openRedis(url: string, logger: Logger, quietUntilReady: boolean): Redis {
  // No offline queue: while Redis is away, calls fail at once instead of piling up behind a sale.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  let lastReported = 0;
  let everReady = !quietUntilReady;
  redis.once('ready', () => {
    everReady = true;
  });
  redis.on('error', (error) => {
    if (everReady && Date.now() - lastReported > 10_000) {
      lastReported = Date.now();
      logger.warn({ err: error }, 'redis unavailable');
    }
  });
  return redis;
}

/** Counts what the use cases announce, then passes it on: the domain needs no metrics port. */
function countingEvents(metrics: ServiceMetrics, inner: RealtimeEvents): RealtimeEvents {
  return hearingNotices(inner, (notice) => metrics.ticketingEvent(notice.event));
}

/** `inner`, with `listener` told of each admin notice first. */
function hearingNotices(
  inner: RealtimeEvents,
  listener: (notice: Parameters<RealtimeEvents['notifyAdmins']>[0]) => void,
): RealtimeEvents {
  return {
    concertChanged: (concertId) => inner.concertChanged(concertId),
    notifyAdmins: (notice) => {
      listener(notice);
      inner.notifyAdmins(notice);
    },
  };
}

/** Every job run is recorded once, whoever ran it (Lambda, scheduler, CLI): count it there. */
function countingJobRuns(metrics: ServiceMetrics, inner: MaintenanceRepository): MaintenanceRepository {
  return Object.assign(Object.create(inner) as MaintenanceRepository, {
    recordRun: (run: JobRunRecord) => {
      // Counted before the write: a run that failed because the database is down must still show.
      metrics.jobFinished(run.job, run.outcome, (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000);
      return inner.recordRun(run);
    },
  });
}

/**
 * Holds made before this process started (a restart, another replica) run out on time too: one timer per
 * distinct second of a live hold's `expires_at` (at most HOLD_TTL_SECONDS of them; overdue ones at once).
 */
async function armHeldExpiries(db: SqlDatabase, timer: HoldExpiryTimer): Promise<void> {
  const rows = await db.query<{ second: string | number }>(
    `SELECT DISTINCT ceil(extract(epoch FROM expires_at))::bigint AS second
       FROM reservations WHERE status = 'held'`,
  );
  for (const row of rows) timer.holdRunsOutAt(new Date(Number(row.second) * 1000));
}

/** Each new hold runs out `holdSeconds` from now: the timer sweeps then. */
function timingHolds(inner: RealtimeEvents, timer: HoldExpiryTimer, holdSeconds: number): RealtimeEvents {
  return hearingNotices(inner, (notice) => {
    if (notice.event === 'new-reservation') timer.holdRunsOutAt(new Date(Date.now() + holdSeconds * 1000));
  });
}

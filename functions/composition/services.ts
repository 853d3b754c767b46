import type { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { API_GATEWAY_MAX_MESSAGE_BYTES } from '../adapters/aws/api-gateway-limits';
import { JoseTokenService } from '../adapters/crypto/jose-token-service';
import { ScryptPasswordHasher } from '../adapters/crypto/scrypt-password-hasher';
import { LogMailer } from '../adapters/mail/log-mailer';
import { CachedConcertRepository } from '../adapters/memory/cached-concert-repository';
import { MemoryConnectionRegistry } from '../adapters/memory/memory-connection-registry';
import { MemoryEventBus } from '../adapters/memory/memory-event-bus';
import { MirroredConnectionRegistry } from '../adapters/memory/mirrored-connection-registry';
import { OrganiserSettingsCache } from '../adapters/memory/organiser-settings-cache';
import { currentRequestId, runAsRequest } from '../adapters/node/request-context';
import { awaitRedis } from '../adapters/node/startup-probes';
import { SqlCheckInRepository } from '../adapters/postgres/sql-check-in-repository';
import { SqlConcertRepository } from '../adapters/postgres/sql-concert-repository';
import { SqlMaintenanceRepository } from '../adapters/postgres/sql-maintenance-repository';
import { SqlOutboxRepository } from '../adapters/postgres/sql-outbox-repository';
import { SqlReportRepository } from '../adapters/postgres/sql-report-repository';
import { SqlReservationRepository } from '../adapters/postgres/sql-reservation-repository';
import { SqlSalesRepository } from '../adapters/postgres/sql-sales-repository';
import { SqlUserRepository } from '../adapters/postgres/sql-user-repository';
import { SqlWaitlistRepository } from '../adapters/postgres/sql-waitlist-repository';
import { RateLimiterLoginThrottle } from '../adapters/redis/rate-limiter-login-throttle';
import { RedisConnectionRegistry } from '../adapters/redis/redis-connection-registry';
import { RedisEventBus } from '../adapters/redis/redis-event-bus';
import { redisKeys } from '../adapters/redis/redis-keys';
import { RedisRelayStream } from '../adapters/redis/redis-relay-stream';
import type { ServiceConfig } from '../config/service-config';
import { AccountCheckedTokens } from '../core/account-checked-tokens';
import { type AuthDeps, ensureAdmin } from '../core/auth.service';
import { AvailabilityPublisher } from '../core/availability-publisher';
import type { CheckInDeps } from '../core/check-ins.service';
import { ConcertSnapshots } from '../core/concert-snapshots';
import type { ConcertAdminDeps } from '../core/concerts.service';
import { deliverOutbox, type JobDeps } from '../core/jobs.service';
import { eventSummary, waitlistOfferMessage } from '../core/realtime';
import type { ReservationDeps } from '../core/reservations.service';
import type { WaitingRoomDeps } from '../core/waiting-room.service';
import { type OfferListener, type WaitlistDeps, WaitlistOfferAnnouncer } from '../core/waitlist.service';
import type { WatcherDeps } from '../core/watchers.service';
import { migrate } from '../db/migrate';
import type { BackupTarget } from '../ports/backup.port';
import type { ConcertRepository } from '../ports/concert.repository.port';
import type { ConnectionPusher } from '../ports/connection-pusher.port';
import type { ConnectionRegistry } from '../ports/connection-registry.port';
import type { EventBus } from '../ports/event-bus.port';
import type { Mailer } from '../ports/mailer.port';
import type { RelayShardRunner } from '../ports/relay-shards.port';
import type { RelayStream } from '../ports/relay-stream.port';
import type { ReportRepository } from '../ports/report.repository.port';
import type { SalesRepository } from '../ports/sales.repository.port';
import type { ServiceMetrics } from '../ports/service-metrics.port';
import type { SqlDatabase } from '../ports/sql-database.port';
import type { TokenService } from '../ports/token-service.port';
import { CATCH_UP_INTERVAL_MS, startCatchUp } from './catch-up';
import { openDatabase } from './database';
import {
  announcingOffers,
  countingEvents,
  countingJobRuns,
  forgettingSettings,
  timingHolds,
} from './event-decorators';
import { armHeldExpiries, holdExpiryTimer } from './hold-expiry';
import { type RuntimePolicy, runtimePolicy, type ServiceRuntime } from './runtime-policy';
import { LOCAL_CREDENTIALS, resolveRedisUrl, signingKey } from './secrets';
import { buildWaitingRoom, type WaitingRoomServices } from './waiting-room';

export { openDatabase } from './database';
export type { ServiceRuntime } from './runtime-policy';

/**
 * The process's object graph, built once per process (per Lambda container) from validated config. Entry
 * points (the shim, the CLI, the scheduler) and tests hold it; handlers never do: they get the few
 * {@link HandlerDeps} they name (see httpHandler), so none reaches `db`, `redis` or `config`.
 */
export interface Services {
  config: ServiceConfig;
  /** Where this process runs (stated by its entry point) and what follows from it. */
  runtime: RuntimePolicy;
  logger: Logger;
  db: SqlDatabase;
  redis: Redis | undefined;
  tokens: TokenService;
  auth: AuthDeps;
  /** Concert reads for HTTP GETs: from memory in long-running processes (see cacheConcertReads). */
  concerts: ConcertRepository;
  /** Always the database: what a joining watcher's snapshot is read from, so a re-join heals. */
  storedConcerts: ConcertRepository;
  /** Creating and changing concerts: writes through `concerts`, announcements counted in `metrics`. */
  concertAdmin: ConcertAdminDeps;
  reservations: ReservationDeps;
  /** Waiting lists (issue 21); `offers` announces what the database offered (e-mail, live message), once each. */
  waitlist: WaitlistDeps & { offers: WaitlistOfferAnnouncer };
  /** The stored daily reports, and the time zone (IANA) whose calendar day "today" is. */
  dailyReports: { reports: ReportRepository; timeZone: string };
  /** What the watcher use cases (WebSocket join/leave, `$connect`) need. */
  watchers: WatcherDeps;
  /** Announces committed changes; awaited by Lambda handlers (`settled`), fire-and-forget elsewhere. */
  events: AvailabilityPublisher;
  /** Prometheus counters and histograms of this process (served at /metrics by the shim), or EMF on Lambda. */
  metrics: ServiceMetrics;
  reports: ReportRepository;
  /** Sold and held apart per tier, for the organiser's console (GET /api/admin/sales). */
  sales: SalesRepository;
  /** Check-in at the door (issue 21). */
  checkIns: CheckInDeps;
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
    /**
     * The relay's shard runner for `endpoint`: relay-shard Lambda invocations (RELAY_SHARD_FUNCTION with
     * RELAY_SHARDS > 1), else worker threads (RELAY_WORKER_THREADS), or undefined when it posts from
     * its own event loop (0, the default). One runner per endpoint, closed with the services.
     */
    relayShardsFor(endpoint: string): Promise<RelayShardRunner | undefined>;
  };
  /** The waiting room (issue 20): queue store, admissions, tokens, the admission ticker, live followers. */
  waitingRoom: WaitingRoomServices;
  /** What the waiting-room use cases need (handlers: join, position, the organiser's panel). */
  queue: WaitingRoomDeps;
  /** Answers which dependencies respond right now. */
  readiness(): Promise<Record<string, boolean>>;
  /**
   * Resolves when an answer may go out: at once, unless `runtime.publishBeforeAnswer` (Lambda, or
   * REALTIME_COALESCE_MS=0), then once the publishes of the changes announced so far are done.
   */
  beforeAnswer(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The part of the services a handler may be handed: use cases' dependencies only, never the raw `db`,
 * `redis`, `config` or the unwrapped `events` (a handler given those could bypass the metrics wrapper).
 */
export type HandlerDeps = Pick<
  Services,
  | 'auth'
  | 'concerts'
  | 'concertAdmin'
  | 'reservations'
  | 'waitlist'
  | 'sales'
  | 'dailyReports'
  | 'watchers'
  | 'readiness'
  | 'checkIns'
  | 'queue'
>;

export interface BuildOptions {
  /**
   * Where this process runs: `lambda` from the deployed handlers (functions/handlers/lambda-runtime.ts),
   * `server` (default) from the shim, the scheduler and the CLI. See {@link runtimePolicy}.
   */
  runtime?: ServiceRuntime;
  /** Apply pending migrations before serving (the shim and CLI do; Lambdas rely on a deploy-time migrate). */
  migrate?: boolean;
  /** Serve concert reads from memory kept fresh by the bus (long-running processes, not Lambda). */
  cacheConcertReads?: boolean;
  logger?: Logger;
  /**
   * Check each dependency answers before going on (PostgreSQL, Redis: 10 s each) and fail with one line
   * naming its variable and address. Default: on a server, not on Lambda, where a failed cold start is
   * retried by the next request. A running process that loses Redis later degrades.
   */
  startupChecks?: boolean;
  /**
   * Long-running processes only (`cacheConcertReads`): how often (ms, default 5000) they catch up with what
   * a killed process left undone: expiry timers re-armed from the database, unannounced waiting-list offers
   * announced, the e-mail outbox delivered. See {@link startCatchUp}.
   */
  catchUpIntervalMs?: number;
  /**
   * Run that catch-up loop (default: with `cacheConcertReads`, i.e. the shim and embedded). The scheduler
   * process sets it too; one-shot processes (a CLI job, a Lambda) never do.
   */
  catchUp?: boolean;
}

/**
 * Builds the process's services from validated config: opens the database and Redis (start-up checks per
 * the runtime), applies migrations when asked, and wires adapters into the use cases' dependencies.
 * @throws ConfigError / StartupError / DataDirInUseError from the database, secrets and Redis steps; on
 *   any failure what was opened is closed again
 */
export async function buildServices(config: ServiceConfig, options: BuildOptions = {}): Promise<Services> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { instance: config.instanceId } });
  const policy = runtimePolicy(options.runtime ?? 'server', config);
  const startup = options.startupChecks ?? policy.startupChecks;
  const db = await openDatabase(config, logger, startup);
  const redisUrl = await resolveRedisUrl(config);
  // ioredis is loaded by configuration: a process without Redis never loads it (issue 19: 120 KiB of each
  // Lambda bundle's cold import).
  const redisClient = redisUrl ? await import('./redis-client') : undefined;
  const redis = redisUrl && redisClient ? redisClient.openRedis(redisUrl, logger, startup) : undefined;
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
      coalesceMs: policy.coalesceMs,
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
    const shardRunners = new Map<string, RelayShardRunner>();
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
    const mailer = await openMailer(config, logger);
    // Adapters are imported by configuration (their own chunks in a Lambda bundle): a Lambda never loads
    // the SMTP, pg_dump or Prometheus modules, a container never the AWS SDK clients it does not use.
    const metrics: ServiceMetrics =
      config.metricsFormat === 'emf'
        ? new (await import('../adapters/aws/emf-metrics')).EmfMetrics()
        : new (await import('../adapters/node/prometheus-metrics')).PrometheusMetrics();
    const waitlistRepository = new SqlWaitlistRepository(db);
    // The expiry timer joins below, once it exists: each offer's hold runs out on time too.
    const offerListeners: OfferListener[] = [
      // The fan's live `waitlist-offer`: every replica delivers it to the fan's connections it holds.
      {
        offerMade: (offer) =>
          bus
            .publish(waitlistOfferMessage(offer.reservation))
            .catch((error: unknown) =>
              logger.warn({ err: error }, 'waiting-list offer not sent live; the fan has the e-mail'),
            ),
      },
    ];
    const offers = new WaitlistOfferAnnouncer(
      waitlistRepository,
      {
        offerMade: async (offer) => {
          await Promise.all(offerListeners.map(async (listener) => listener.offerMade(offer)));
        },
      },
      (error) =>
        logger.warn(
          { err: error },
          'could not announce waiting-list offers; the next release or catch-up will',
        ),
      // Offer e-mails leave within seconds, not at the next reminders / daily-report run (on Lambda too:
      // beforeAnswer waits for the run, delivery included).
      { mailsQueued: () => deliverOutbox({ ...jobs, progress: quietProgress }) },
    );
    // Every path that gives tickets back says the concert changed: the database may have made offers then.
    const announced = announcingOffers(countingEvents(metrics, events), offers);
    const quietProgress: JobDeps['progress'] = (message, details) => logger.debug(details ?? {}, message);
    const jobs: JobDeps = {
      locks: db,
      maintenance: countingJobRuns(metrics, new SqlMaintenanceRepository(db)),
      outbox: new SqlOutboxRepository(db),
      reports,
      mailer,
      events: announced,
      registry,
      backup: await backupTarget(config, db),
      timeZone: config.scheduleTimeZone,
      now: () => new Date(),
      progress: (message, details) => logger.info(details ?? {}, message),
      correlate: runAsRequest,
    };
    // Long-running processes free each hold the moment it runs out, and watchers see it then.
    const expiry = policy.expireHoldsOnTime ? holdExpiryTimer(jobs, logger) : undefined;
    if (expiry && options.cacheConcertReads) await armHeldExpiries(db, expiry);
    // A killed replica's timers and announcements are taken over by the survivors within seconds.
    const catchUp =
      (options.catchUp ?? options.cacheConcertReads)
        ? startCatchUp(
            {
              ...(expiry
                ? {
                    armExpiries: () =>
                      armHeldExpiries(
                        db,
                        expiry,
                        (options.catchUpIntervalMs ?? CATCH_UP_INTERVAL_MS) / 1000 + 1,
                      ),
                  }
                : {}),
              announceOffers: async () => {
                offers.poke();
                await offers.settled();
              },
              deliverOutbox: () => deliverOutbox({ ...jobs, progress: quietProgress }),
            },
            logger,
            options.catchUpIntervalMs,
          )
        : undefined;
    if (expiry)
      offerListeners.push({
        offerMade: (offer) => expiry.holdRunsOutAt(new Date(offer.reservation.expiresAt)),
      });
    // The waiting room's reservation gate reads only what organisers set: long-running processes keep it
    // through holds (a Lambda has no local invalidation across containers: it reads the database).
    const organiserSettings = options.cacheConcertReads
      ? new OrganiserSettingsCache(storedConcerts)
      : undefined;
    await organiserSettings?.listen(bus);
    const waitingRoom = buildWaitingRoom({
      gateConcerts: organiserSettings,
      config,
      logger,
      db,
      redis,
      keys,
      signingKey: jwtKey,
      concerts,
      storedConcerts,
      bus,
      longRunning: options.cacheConcertReads ?? false,
    });
    // Long-running processes each run a ticker; the lease lets one admit at a time (Lambda: the schedule).
    if (options.cacheConcertReads) waitingRoom.start();
    const watchers: WatcherDeps = { registry, snapshots, tokens };
    return {
      config,
      runtime: policy,
      logger,
      db,
      redis,
      tokens,
      auth: { users, passwords, tokens, loginThrottle },
      concerts,
      storedConcerts,
      // The counted announcements: a concert's creation and changes show in ticketing_events_total too.
      concertAdmin: {
        concerts,
        events: organiserSettings ? forgettingSettings(announced, organiserSettings) : announced,
      },
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
      waitlist: {
        waitlist: waitlistRepository,
        settings: { perUserLimit: config.perUserLimit, offerSeconds: config.waitlistOfferSeconds },
        events: announced,
        offers,
        admission: waitingRoom.admission,
      },
      events,
      metrics,
      reports,
      dailyReports: { reports, timeZone: config.scheduleTimeZone },
      watchers,
      sales: new SqlSalesRepository(db),
      checkIns: { checkIns: new SqlCheckInRepository(db), events: announced },
      jobs,
      realtime: {
        bus,
        registry,
        snapshots,
        relayStream,
        callbackUrl: config.websocketCallbackUrl,
        relayShardsFor: async (endpoint) => {
          let runner = shardRunners.get(endpoint);
          if (!runner && config.relayShardFunction && config.relayShards > 1) {
            // On AWS: parallel synchronous invocations of the relay-shard Lambda (its own chunk).
            const { LambdaInvokeShardRunner } = await import('../adapters/aws/lambda-invoke-shards');
            runner = new LambdaInvokeShardRunner({
              functionName: config.relayShardFunction,
              shards: config.relayShards,
              ...(config.relayShardEndpoint
                ? {
                    endpoint: config.relayShardEndpoint,
                    ...localEndpointCredentials(config.relayShardEndpoint),
                  }
                : {}),
            });
            shardRunners.set(endpoint, runner);
          }
          if (config.relayWorkerThreads === 0 && !runner) return undefined;
          if (!runner) {
            const { WorkerThreadShardRunner } = await import('../adapters/node/worker-thread-shards');
            runner = new WorkerThreadShardRunner({
              workers: config.relayWorkerThreads,
              pusher: { endpoint, ...localEndpointCredentials(endpoint) },
            });
            shardRunners.set(endpoint, runner);
          }
          return runner;
        },
        pusherFor: (endpoint) => {
          let pusher = pushers.get(endpoint);
          if (!pusher) {
            // The SDK client is loaded on the first post (its own chunk in a Lambda bundle).
            let client: Promise<ConnectionPusher> | undefined;
            const load = () => {
              client ??= import('../adapters/aws/apigw-management-pusher').then(
                ({ ApiGatewayPusher }) =>
                  new ApiGatewayPusher({
                    endpoint,
                    ...localEndpointCredentials(endpoint),
                  }),
              );
              return client;
            };
            pusher = {
              maxMessageBytes: API_GATEWAY_MAX_MESSAGE_BYTES,
              post: async (connectionId, data) => (await load()).post(connectionId, data),
            };
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
      // Lambda: the offers' e-mails and live messages go out before the container freezes, too.
      beforeAnswer: async () => {
        if (!policy.publishBeforeAnswer) return;
        await offers.settled();
        await events.settled();
      },
      waitingRoom,
      queue: waitingRoom.deps,
      close: async () => {
        await catchUp?.close();
        await waitingRoom.close();
        // Offers the database made are mailed and told before the process goes (a job run from the CLI).
        await offers.settled();
        expiry?.close();
        events.close();
        await cache?.close();
        await organiserSettings?.close();
        (mailer as Partial<{ close(): void }>).close?.();
        relayStream?.close();
        await Promise.allSettled([...shardRunners.values()].map((runner) => runner.close?.()));
        await Promise.allSettled([db.close(), redisClient?.closeRedis(redis)]);
      },
    };
  } catch (error) {
    redis?.disconnect();
    await db.close().catch(() => {});
    throw error;
  }
}

/** SMTP when SMTP_URL is set (containers), SES when SES_REGION is (AWS), else the log (embedded). */
async function openMailer(config: ServiceConfig, logger: Logger): Promise<Mailer> {
  if (config.smtpUrl) {
    const { SmtpMailer } = await import('../adapters/mail/smtp-mailer');
    return new SmtpMailer(config.smtpUrl, config.emailFrom);
  }
  const { ses } = config;
  if (ses) {
    // Loaded at the first e-mail: most functions never send one, and a cold start should not pay for SES.
    let mailer: Promise<Mailer> | undefined;
    const load = () => {
      mailer ??= import('../adapters/aws/ses-mailer').then(
        ({ SesMailer }) =>
          new SesMailer(config.emailFrom, {
            region: ses.region,
            ...(ses.endpoint ? { endpoint: ses.endpoint, credentials: LOCAL_CREDENTIALS } : {}),
          }),
      );
      return mailer;
    };
    return { send: async (email) => (await load()).send(email) };
  }
  return new LogMailer(logger);
}

/** AWS: verify the plan's recovery points; PostgreSQL: pg_dump; embedded: a data-directory tarball. */
async function backupTarget(config: ServiceConfig, db: SqlDatabase): Promise<BackupTarget | undefined> {
  if (config.backupVerify) {
    const { endpoint, ...verify } = config.backupVerify;
    // Loaded when the backup job runs, never at another function's cold start.
    let target: Promise<BackupTarget> | undefined;
    const load = () => {
      target ??= import('../adapters/aws/aws-backup-verifier').then(
        ({ AwsBackupVerifier }) =>
          new AwsBackupVerifier({
            ...verify,
            ...(endpoint ? { endpoint, credentials: LOCAL_CREDENTIALS } : {}),
          }),
      );
      return target;
    };
    return { backUp: async () => (await load()).backUp() };
  }
  if (config.databaseUrl) {
    const { PgDumpBackup } = await import('../adapters/postgres/pg-dump-backup');
    return new PgDumpBackup(config.databaseUrl, config.backupDir, config.backupRetention);
  }
  const embedded = db as Partial<{ dumpDataDir(): Promise<Uint8Array> }>;
  if (typeof embedded.dumpDataDir === 'function') {
    const { PgliteBackup } = await import('../adapters/postgres/pglite-backup');
    return new PgliteBackup(
      embedded as { dumpDataDir(): Promise<Uint8Array> },
      config.backupDir,
      config.backupRetention,
    );
  }
  return undefined;
}

/** A plain-HTTP management endpoint is the local shim (or a stand-in), which checks no signature. */
function localEndpointCredentials(endpoint: string) {
  return endpoint.startsWith('http://')
    ? { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
    : {};
}

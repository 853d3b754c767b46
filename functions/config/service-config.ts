import { isIP } from 'node:net';
import { hostname } from 'node:os';
import * as z from 'zod';
import { canonicalEmail } from '../core/email-address';
import { weakSecretReason } from './published-secrets';

const integer = (name: string, fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an integer from ${min} to ${max} (got "${raw}")`,
        });
        return z.NEVER;
      }
      return value;
    });

const optionalText = z
  .string()
  .optional()
  .transform((raw) => (raw?.trim() ? raw.trim() : undefined));

const url = (name: string, protocols: string[]) =>
  optionalText.refine(
    (raw) => {
      if (raw === undefined) return true;
      try {
        return protocols.includes(new URL(raw).protocol);
      } catch {
        return false;
      }
    },
    { message: `${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const timeZone = optionalText.transform((raw, ctx) => {
  const zone = raw ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `SCHEDULE_TIMEZONE must be an IANA time zone such as Europe/Berlin (got "${zone}")`,
    });
    return z.NEVER;
  }
});

/** Express's named subnets for `trust proxy` (expressjs.com/en/guide/behind-proxies.html). */
const proxySubnetNames = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One `trust proxy` entry: an IPv4/IPv6 address, a CIDR (address/prefix) or a named subnet. */
function isProxyAddress(entry: string): boolean {
  if (proxySubnetNames.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: unset → trust no proxy (the socket's peer is the client); a whole number → that many
 * hops; otherwise comma-separated addresses, CIDRs or Express's named subnets.
 */
const trustProxy = optionalText.transform((raw, ctx): false | number | string[] => {
  if (raw === undefined) return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops <= 100) return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  const bad = entries.find((entry) => !isProxyAddress(entry));
  if (bad !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `TRUST_PROXY must be a hop count (0-100) or comma-separated addresses/CIDRs (got "${bad}")`,
    });
    return z.NEVER;
  }
  return entries;
});

/** Every variable of the contract's configuration table (../shared/API.md), plus a few operational knobs. */
const schema = z
  .object({
    NODE_ENV: optionalText,
    PORT: integer('PORT', 5000, 0, 65535),
    DATABASE_URL: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    DATA_DIR: optionalText,
    DATA_API_RESOURCE_ARN: optionalText,
    DATA_API_SECRET_ARN: optionalText,
    DATA_API_DATABASE: optionalText,
    DATA_API_ENDPOINT: url('DATA_API_ENDPOINT', ['http:', 'https:']),
    REDIS_AUTH_SECRET_ARN: optionalText,
    SECRETS_MANAGER_ENDPOINT: url('SECRETS_MANAGER_ENDPOINT', ['http:', 'https:']),
    DB_POOL_MAX: integer('DB_POOL_MAX', 8, 1, 200),
    DB_POOL_WAIT_MS: integer('DB_POOL_WAIT_MS', 15_000, 100, 60_000),
    REDIS_URL: url('REDIS_URL', ['redis:', 'rediss:']),
    REDIS_KEY_PREFIX: optionalText,
    JWT_SECRET_ARN: optionalText,
    JWT_SECRET: optionalText.refine((raw) => raw === undefined || raw.length >= 32, {
      message: 'JWT_SECRET must be at least 32 characters',
    }),
    HOLD_TTL_SECONDS: integer('HOLD_TTL_SECONDS', 600, 1, 86_400),
    TICKETS_PER_USER_LIMIT: integer('TICKETS_PER_USER_LIMIT', 10, 0, 100_000),
    HOLDS_PER_USER_LIMIT: integer('HOLDS_PER_USER_LIMIT', 10, 0, 100_000),
    ADMIN_EMAIL: optionalText.refine((raw) => raw === undefined || z.email().safeParse(raw).success, {
      message: 'ADMIN_EMAIL must be an e-mail address',
    }),
    ADMIN_PASSWORD: optionalText.refine((raw) => raw === undefined || raw.length >= 8, {
      message: 'ADMIN_PASSWORD must be at least 8 characters',
    }),
    INSTANCE_ID: optionalText,
    SCHEDULE_TIMEZONE: timeZone,
    FRONTEND_URL: optionalText,
    SMTP_URL: url('SMTP_URL', ['smtp:', 'smtps:']),
    EMAIL_FROM: optionalText.refine((raw) => raw === undefined || /^[^\s@]+@[^\s@]+$/.test(raw), {
      message: 'EMAIL_FROM must be an e-mail address',
    }),
    BACKUP_DIR: optionalText,
    LOGIN_ATTEMPTS_PER_MINUTE: integer('LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 100_000),
    TRUST_PROXY: trustProxy,
    REGISTRATIONS_PER_ADDRESS_PER_MINUTE: integer('REGISTRATIONS_PER_ADDRESS_PER_MINUTE', 10, 0, 100_000),
    WS_CONNECTIONS_PER_ADDRESS: integer('WS_CONNECTIONS_PER_ADDRESS', 50, 0, 100_000),
    QUEUE_JOINS_PER_ADDRESS_PER_MINUTE: integer('QUEUE_JOINS_PER_ADDRESS_PER_MINUTE', 60, 0, 100_000),
    WAITLIST_OFFER_SECONDS: integer('WAITLIST_OFFER_SECONDS', -1, 1, 86_400),
    BACKUP_RETENTION: integer('BACKUP_RETENTION', 7, 1, 1000),
    BACKUP_VERIFY_RESOURCE_ARN: optionalText,
    BACKUP_MAX_AGE_HOURS: integer('BACKUP_MAX_AGE_HOURS', 26, 1, 24 * 30),
    AWS_BACKUP_ENDPOINT: url('AWS_BACKUP_ENDPOINT', ['http:', 'https:']),
    SES_REGION: optionalText,
    SES_ENDPOINT: url('SES_ENDPOINT', ['http:', 'https:']),
    REALTIME_COALESCE_MS: integer('REALTIME_COALESCE_MS', -1, 0, 5_000),
    WS_REGISTRY_TTL_SECONDS: integer('WS_REGISTRY_TTL_SECONDS', 3 * 60 * 60, 1, 7 * 86_400),
    WEBSOCKET_CALLBACK_URL: url('WEBSOCKET_CALLBACK_URL', ['http:', 'https:']),
    RELAY_WORKER_THREADS: integer('RELAY_WORKER_THREADS', 0, 0, 64),
    RELAY_SHARDS: integer('RELAY_SHARDS', 1, 1, 64),
    RELAY_SHARD_FUNCTION: optionalText,
    RELAY_SHARD_ENDPOINT: url('RELAY_SHARD_ENDPOINT', ['http:', 'https:']),
    AWS_LAMBDA_FUNCTION_NAME: optionalText,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    METRICS_FORMAT: z.enum(['prometheus', 'emf']).optional(),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD)) {
      const missing = env.ADMIN_EMAIL ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `${missing} must be set together with the other admin variable`,
      });
    }
    if (Boolean(env.DATA_API_RESOURCE_ARN) !== Boolean(env.DATA_API_SECRET_ARN)) {
      const missing = env.DATA_API_RESOURCE_ARN ? 'DATA_API_SECRET_ARN' : 'DATA_API_RESOURCE_ARN';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `${missing} must be set together with the other Data API variable`,
      });
    }
    if (env.NODE_ENV === 'production' && !env.JWT_SECRET && !env.JWT_SECRET_ARN) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'JWT_SECRET (or JWT_SECRET_ARN, on AWS) is required when NODE_ENV=production',
      });
    }
    if (env.NODE_ENV === 'production') {
      // A template value left in place (k8s/templates/secret.example.yaml ships CHANGE-ME in every secret field).
      for (const [variable, value] of Object.entries(env)) {
        if (typeof value === 'string' && /\bchange[\s_-]?me\b/i.test(value)) {
          ctx.addIssue({
            code: 'custom',
            path: [variable],
            message: `${variable} still holds a placeholder from the repository's samples; replace it`,
          });
        }
      }
      // One line naming the variable, never the value: a published sample or weak secret stops start-up.
      const jwtReason = env.JWT_SECRET && weakSecretReason(env.JWT_SECRET, 'signing-key');
      if (jwtReason) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message: `JWT_SECRET ${jwtReason}; set a random key (openssl rand -hex 32)`,
        });
      }
      const adminReason = env.ADMIN_PASSWORD && weakSecretReason(env.ADMIN_PASSWORD, 'password');
      if (adminReason) {
        ctx.addIssue({
          code: 'custom',
          path: ['ADMIN_PASSWORD'],
          message: `ADMIN_PASSWORD ${adminReason}; choose the organiser's own password`,
        });
      }
    }
    if (env.FRONTEND_URL) {
      for (const origin of env.FRONTEND_URL.split(',')) {
        if (!/^https?:\/\/[^/\s]+$/.test(origin.trim())) {
          ctx.addIssue({
            code: 'custom',
            path: ['FRONTEND_URL'],
            message: `FRONTEND_URL must list origins like https://tickets.example.com (got "${origin}")`,
          });
        }
      }
    }
  });

export interface ServiceConfig {
  production: boolean;
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  /** Aurora through the RDS Data API (AWS), when DATABASE_URL is not set. */
  dataApi:
    | { resourceArn: string; secretArn: string; database: string; endpoint: string | undefined }
    | undefined;
  /** AWS: the ElastiCache auth token lives in Secrets Manager; it is fetched once at cold start. */
  redisAuthSecretArn: string | undefined;
  secretsManagerEndpoint: string | undefined;
  dbPoolMax: number;
  /** How long a query waits for a free pool connection (or a new one to open) before 503 (ms). */
  dbPoolWaitMs: number;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** Undefined outside production: generated once and kept in the data directory. */
  jwtSecret: string | undefined;
  /** AWS: the signing key is read from Secrets Manager at cold start. */
  jwtSecretArn: string | undefined;
  holdSeconds: number;
  perUserLimit: number;
  /** Open holds one user may have at once, over all concerts; 0 = no limit. */
  activeHoldLimit: number;
  admin: { email: string; password: string } | undefined;
  instanceId: string;
  scheduleTimeZone: string;
  frontendOrigins: string[];
  smtpUrl: string | undefined;
  emailFrom: string;
  backupDir: string;
  backupRetention: number;
  /** AWS: verify the backup plan's recovery points of this resource instead of dumping. */
  backupVerify: { resourceArn: string; maxAgeHours: number; endpoint: string | undefined } | undefined;
  /** Mail through SES in this region (AWS); takes precedence over nothing, yields to SMTP_URL. */
  ses: { region: string; endpoint: string | undefined } | undefined;
  loginAttemptsPerMinute: number;
  /**
   * TRUST_PROXY as Express's `trust proxy` setting takes it: false = trust none (unset), a number =
   * hops to trust, a list = proxy addresses/CIDRs/named subnets.
   */
  trustProxy: false | number | string[];
  /** Sign-ups one client address may make per minute; 0 = no limit (429 RATE_LIMITED beyond). */
  registrationsPerAddressPerMinute: number;
  /** Open WebSocket connections one client address may hold at once; 0 = no limit. */
  wsConnectionsPerAddress: number;
  /** Queue joins one client address may make per minute; 0 = no limit. */
  queueJoinsPerAddressPerMinute: number;
  /** Seconds a waitlist offer stays open (s); defaults to holdSeconds. */
  waitlistOfferSeconds: number;
  /**
   * At most one concert-update per concert per this many ms (default 150); 0 publishes each change before
   * the response. Read by servers only: on Lambda (runtime `lambda`, see composition/runtime-policy) it is
   * always 0.
   */
  realtimeCoalesceMs: number;
  /**
   * Seconds an entry of the Redis connection registry lives unless refreshed (s). Live connections
   * refresh theirs (the shim: every third of it, at most every 30 s); a dead id ages out on its own.
   * Default 3 h: API Gateway closes a WebSocket after 2 h at most.
   */
  wsRegistryTtlSeconds: number;
  /**
   * Worker threads the relay splits each delivery over, by connection (each its own SDK client and
   * sockets); 0 (default): the relay posts from its own event loop. For a relay run in a container with
   * more than one core; a Lambda relay keeps 0.
   */
  relayWorkerThreads: number;
  /**
   * Parallel invocations of the relay-shard Lambda (`relayShardFunction`) each delivery is split over, by
   * connection; 1 (default): off. Only with `relayShardFunction` set; takes precedence over worker threads.
   */
  relayShards: number;
  /** The relay-shard Lambda's name (RELAY_SHARD_FUNCTION); unset: the relay does not invoke shards. */
  relayShardFunction: string | undefined;
  /** Lambda's Invoke endpoint for the relay's shards, only for a local stand-in (RELAY_SHARD_ENDPOINT). */
  relayShardEndpoint: string | undefined;
  /** Where PostToConnection goes (API Gateway's management endpoint); unset: derived from the event. */
  websocketCallbackUrl: string | undefined;
  logLevel: string;
  /** prometheus: counters served at /metrics (containers); emf: CloudWatch embedded-metric lines (Lambda). */
  metricsFormat: 'prometheus' | 'emf';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment once; throws a ConfigError whose message is one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): ServiceConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    const message = issue?.message ?? 'invalid';
    throw new ConfigError(message.includes(variable) ? message : `${variable}: ${message}`);
  }
  const e = parsed.data;
  return {
    production: e.NODE_ENV === 'production',
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR ?? './.data',
    dataApi:
      e.DATA_API_RESOURCE_ARN && e.DATA_API_SECRET_ARN
        ? {
            resourceArn: e.DATA_API_RESOURCE_ARN,
            secretArn: e.DATA_API_SECRET_ARN,
            database: e.DATA_API_DATABASE ?? 'tickets',
            endpoint: e.DATA_API_ENDPOINT,
          }
        : undefined,
    redisAuthSecretArn: e.REDIS_AUTH_SECRET_ARN,
    secretsManagerEndpoint: e.SECRETS_MANAGER_ENDPOINT,
    dbPoolMax: e.DB_POOL_MAX,
    dbPoolWaitMs: e.DB_POOL_WAIT_MS,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX ?? 'cts:',
    jwtSecret: e.JWT_SECRET,
    jwtSecretArn: e.JWT_SECRET_ARN,
    holdSeconds: e.HOLD_TTL_SECONDS,
    perUserLimit: e.TICKETS_PER_USER_LIMIT,
    activeHoldLimit: e.HOLDS_PER_USER_LIMIT,
    admin:
      e.ADMIN_EMAIL && e.ADMIN_PASSWORD
        ? { email: canonicalEmail(e.ADMIN_EMAIL), password: e.ADMIN_PASSWORD }
        : undefined,
    instanceId: e.INSTANCE_ID ?? hostname(),
    scheduleTimeZone: e.SCHEDULE_TIMEZONE,
    frontendOrigins: e.FRONTEND_URL ? e.FRONTEND_URL.split(',').map((origin) => origin.trim()) : [],
    smtpUrl: e.SMTP_URL,
    emailFrom: e.EMAIL_FROM ?? 'tickets@localhost',
    backupDir: e.BACKUP_DIR ?? './backups',
    backupRetention: e.BACKUP_RETENTION,
    backupVerify: e.BACKUP_VERIFY_RESOURCE_ARN
      ? {
          resourceArn: e.BACKUP_VERIFY_RESOURCE_ARN,
          maxAgeHours: e.BACKUP_MAX_AGE_HOURS,
          endpoint: e.AWS_BACKUP_ENDPOINT,
        }
      : undefined,
    ses: e.SES_REGION ? { region: e.SES_REGION, endpoint: e.SES_ENDPOINT } : undefined,
    loginAttemptsPerMinute: e.LOGIN_ATTEMPTS_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    registrationsPerAddressPerMinute: e.REGISTRATIONS_PER_ADDRESS_PER_MINUTE,
    wsConnectionsPerAddress: e.WS_CONNECTIONS_PER_ADDRESS,
    queueJoinsPerAddressPerMinute: e.QUEUE_JOINS_PER_ADDRESS_PER_MINUTE,
    waitlistOfferSeconds: e.WAITLIST_OFFER_SECONDS > 0 ? e.WAITLIST_OFFER_SECONDS : e.HOLD_TTL_SECONDS,
    wsRegistryTtlSeconds: e.WS_REGISTRY_TTL_SECONDS,
    // On Lambda the runtime policy publishes every change before answering, whatever this says.
    realtimeCoalesceMs: e.REALTIME_COALESCE_MS >= 0 ? e.REALTIME_COALESCE_MS : 150,
    relayWorkerThreads: e.RELAY_WORKER_THREADS,
    relayShards: e.RELAY_SHARDS,
    relayShardFunction: e.RELAY_SHARD_FUNCTION,
    relayShardEndpoint: e.RELAY_SHARD_ENDPOINT,
    websocketCallbackUrl: e.WEBSOCKET_CALLBACK_URL,
    logLevel: e.LOG_LEVEL ?? 'info',
    metricsFormat: e.METRICS_FORMAT ?? (e.AWS_LAMBDA_FUNCTION_NAME ? 'emf' : 'prometheus'),
  };
}

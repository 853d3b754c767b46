import { hostname } from 'node:os';
import { z } from 'zod';

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
    BACKUP_RETENTION: integer('BACKUP_RETENTION', 7, 1, 1000),
    BACKUP_VERIFY_RESOURCE_ARN: optionalText,
    BACKUP_MAX_AGE_HOURS: integer('BACKUP_MAX_AGE_HOURS', 26, 1, 24 * 30),
    AWS_BACKUP_ENDPOINT: url('AWS_BACKUP_ENDPOINT', ['http:', 'https:']),
    SES_REGION: optionalText,
    SES_ENDPOINT: url('SES_ENDPOINT', ['http:', 'https:']),
    REALTIME_COALESCE_MS: integer('REALTIME_COALESCE_MS', -1, 0, 5_000),
    WEBSOCKET_CALLBACK_URL: url('WEBSOCKET_CALLBACK_URL', ['http:', 'https:']),
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
  /** At most one concert-update per concert per this many ms; 0 publishes each change at once. */
  realtimeCoalesceMs: number;
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
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX ?? 'cts:',
    jwtSecret: e.JWT_SECRET,
    jwtSecretArn: e.JWT_SECRET_ARN,
    holdSeconds: e.HOLD_TTL_SECONDS,
    perUserLimit: e.TICKETS_PER_USER_LIMIT,
    activeHoldLimit: e.HOLDS_PER_USER_LIMIT,
    admin:
      e.ADMIN_EMAIL && e.ADMIN_PASSWORD
        ? { email: e.ADMIN_EMAIL.toLowerCase(), password: e.ADMIN_PASSWORD }
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
    // A Lambda container freezes after each response, so there it publishes before answering.
    realtimeCoalesceMs:
      e.REALTIME_COALESCE_MS >= 0 ? e.REALTIME_COALESCE_MS : e.AWS_LAMBDA_FUNCTION_NAME ? 0 : 150,
    websocketCallbackUrl: e.WEBSOCKET_CALLBACK_URL,
    logLevel: e.LOG_LEVEL ?? 'info',
    metricsFormat: e.METRICS_FORMAT ?? (e.AWS_LAMBDA_FUNCTION_NAME ? 'emf' : 'prometheus'),
  };
}

/** What differs between environments; everything else is the same stack. */
export interface EnvironmentSettings {
  name: 'dev' | 'prod';
  region: string;
  /** Prod: a writer and a reader in two AZs, Redis with a replica and automatic failover. */
  multiAz: boolean;
  /**
   * Prod keeps its data through a destroy (deletion protection, final snapshot, a 7-day recovery window
   * on secrets, a backup vault that refuses to go while it holds recovery points); dev tears down
   * cleanly and can be re-created at once under the same names.
   */
  deletionProtection: boolean;
  aurora: { minCapacity: number; maxCapacity: number; backupRetentionDays: number };
  redis: { nodeType: string };
  lambda: {
    memoryMb: number;
    logRetentionDays: number;
    /**
     * Reserved concurrency per function name (AWS keeps at least 100 of the account's concurrency
     * unreserved, so the account quota must exceed the sum by 100: prod reserves 524, so needs a quota of 624 or more).
     */
    reservedConcurrency: Record<string, number>;
    /**
     * Parallel relay-shard invocations the relay splits each delivery over (RELAY_SHARDS; 1: the relay
     * posts alone). At ~0.6–1 ms of CPU per post, 10,000 posts within a second take 7–10 (docs/speed.md).
     */
    relayShards: number;
  };
  /** Sender of every mail (EMAIL_FROM); a deploy refuses one SES can never verify. */
  emailFrom: string;
  /**
   * Whether this stack creates and owns the SES identity of `emailFrom`. One stack per account and
   * region owns it (SES_IDENTITY_OWNER, default prod): destroying another never deletes the sender.
   */
  ownsSenderIdentity: boolean;
  /**
   * In the SES sandbox SES also authorizes every recipient identity, so the send policy covers the
   * account's identities; out of it, only the sender's identity (SES_SANDBOX=true keeps prod on the
   * sandbox policy until AWS lifts the account out of it).
   */
  mailSandbox: boolean;
  scheduleTimeZone: string;
  /** With a certificate the ALB listens on 443 and redirects 80 to it (CERTIFICATE_ARN; required for prod). */
  certificateArn?: string;
  /** Browser origins allowed by CORS on the HTTP API (FRONTEND_URL, comma-separated, as the shim reads it). */
  frontendOrigins: string[];
  /** The HTTP API's default rate limits, and the stricter ones on login. */
  throttling: { rate: number; burst: number; loginRate: number; loginBurst: number };
}

/** Both environments' settings from a process environment (`process.env` for `cdktf synth`). */
export function environmentsFrom(env: NodeJS.ProcessEnv): Record<'dev' | 'prod', EnvironmentSettings> {
  const owner = env.SES_IDENTITY_OWNER === 'dev' ? 'dev' : 'prod';
  const shared = {
    region: env.AWS_REGION ?? env.CDKTF_REGION ?? 'ap-southeast-1',
    // Only a placeholder for offline synth: deployProblems refuses it for a deploy.
    emailFrom: env.EMAIL_FROM?.trim() || PLACEHOLDER_SENDER,
    scheduleTimeZone: env.SCHEDULE_TIMEZONE ?? 'UTC',
    frontendOrigins: (env.FRONTEND_URL ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    ...(env.CERTIFICATE_ARN ? { certificateArn: env.CERTIFICATE_ARN } : {}),
  };
  return {
    dev: {
      ...shared,
      name: 'dev',
      multiAz: false,
      deletionProtection: false,
      ownsSenderIdentity: owner === 'dev',
      mailSandbox: true,
      aurora: { minCapacity: 0.5, maxCapacity: 2, backupRetentionDays: 1 },
      redis: { nodeType: 'cache.t4g.micro' },
      lambda: {
        memoryMb: 512,
        logRetentionDays: 7,
        // None: AWS keeps 100 unreserved, and a new account's quota (10) leaves nothing to reserve; a
        // dev account's own quota caps the functions anyway.
        reservedConcurrency: {},
        relayShards: 1,
      },
      throttling: { rate: 50, burst: 100, loginRate: 2, loginBurst: 5 },
    },
    prod: {
      ...shared,
      name: 'prod',
      multiAz: true,
      deletionProtection: true,
      ownsSenderIdentity: owner === 'prod',
      mailSandbox: env.SES_SANDBOX === 'true',
      aurora: { minCapacity: 1, maxCapacity: 16, backupRetentionDays: 14 },
      redis: { nodeType: 'cache.r7g.large' },
      lambda: {
        memoryMb: 1024,
        logRetentionDays: 30,
        // The relay: one leader, and the next run taking over (two at a handover). The socket functions
        // are capped so a reconnect storm cannot take the concurrency the reservations need.
        reservedConcurrency: {
          relay: 2,
          // Eight shards per delivery, for two relays at a handover, and room for a split large shard.
          'relay-shard': 20,
          // One admitting run and the next taking over; the lease keeps it to one admitter.
          'queue-admission': 2,
          'ws-connect': 200,
          'ws-message': 200,
          'ws-disconnect': 100,
        },
        relayShards: 8,
      },
      throttling: { rate: 2000, burst: 5000, loginRate: 20, loginBurst: 40 },
    },
  };
}

/** The sender used when EMAIL_FROM is unset: offline synth only. */
export const PLACEHOLDER_SENDER = 'tickets@example.com';

// RFC 2606 / RFC 6761: names reserved for documentation and testing; nobody can receive SES's
// verification mail there.
const UNVERIFIABLE_DOMAIN = /@(?:[^@]+\.)?(?:example\.(?:com|net|org)|example|invalid|test|localhost)$/i;

/**
 * Why a stack must not be deployed with these settings: one line each, empty when it may be.
 * - EMAIL_FROM: required, and at a domain that can receive SES's verification mail;
 * - FRONTEND_URL: origins only (scheme and host), as the shim requires;
 * - prod: TF_STATE_BUCKET (state off this machine, locked) and CERTIFICATE_ARN (no bearer tokens over
 *   plain HTTP on the ALB).
 */
export function deployProblems(
  settings: EnvironmentSettings,
  deploy: { stateBucket?: string | undefined; emailFromSet: boolean },
): string[] {
  const problems: string[] = [];
  const at = `concert-tickets-${settings.name}`;
  if (!deploy.emailFromSet) {
    problems.push(
      `${at}: set EMAIL_FROM to a sender address SES can verify (the mail of every job goes from it)`,
    );
  } else if (
    UNVERIFIABLE_DOMAIN.test(settings.emailFrom) ||
    !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(settings.emailFrom)
  ) {
    problems.push(
      `${at}: EMAIL_FROM "${settings.emailFrom}" can never be verified by SES; use an address you receive mail at`,
    );
  }
  for (const origin of settings.frontendOrigins) {
    // The shim's rule (functions/config/service-config.ts): a browser sends its origin without a path,
    // so "https://x.io/" would never match and every preflight would fail.
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(
        `${at}: FRONTEND_URL must list origins like https://tickets.example.com (got "${origin}")`,
      );
    }
  }
  if (settings.name === 'prod' && !deploy.stateBucket) {
    problems.push(
      `${at}: set TF_STATE_BUCKET; prod never keeps its Terraform state in cdktf.out on one machine`,
    );
  }
  if (settings.name === 'prod' && !settings.certificateArn) {
    problems.push(
      `${at}: set CERTIFICATE_ARN (an ACM certificate); prod never serves bearer tokens over plain HTTP`,
    );
  }
  return problems;
}

/**
 * Days Secrets Manager keeps a deleted secret (0: deleted at once). Prod keeps 7 to undo a mistake; dev
 * needs 0, or re-creating the stack within the window fails on the name still taken.
 */
export function secretRecoveryWindowDays(settings: EnvironmentSettings): number {
  return settings.deletionProtection ? 7 : 0;
}

/** Both environments from this process's environment. */
export const ENVIRONMENTS: Record<'dev' | 'prod', EnvironmentSettings> = environmentsFrom(process.env);

/** What differs between environments; everything else is the same stack. */
export interface EnvironmentSettings {
  name: 'dev' | 'prod';
  region: string;
  /** Prod: a writer and a reader in two AZs, Redis with a replica and automatic failover. */
  multiAz: boolean;
  deletionProtection: boolean;
  aurora: { minCapacity: number; maxCapacity: number; backupRetentionDays: number };
  redis: { nodeType: string };
  lambda: { memoryMb: number; logRetentionDays: number };
  /** Sender of every mail; an SES identity is created for it. */
  emailFrom: string;
  scheduleTimeZone: string;
  /** With a certificate the ALB listens on 443 and redirects 80 to it. */
  certificateArn?: string;
  /** The HTTP API's default rate limits, and the stricter ones on login. */
  throttling: { rate: number; burst: number; loginRate: number; loginBurst: number };
}

const region = process.env.AWS_REGION ?? process.env.CDKTF_REGION ?? 'ap-southeast-1';
const shared = {
  region,
  emailFrom: process.env.EMAIL_FROM ?? 'tickets@example.com',
  scheduleTimeZone: process.env.SCHEDULE_TIMEZONE ?? 'UTC',
  ...(process.env.CERTIFICATE_ARN ? { certificateArn: process.env.CERTIFICATE_ARN } : {}),
};

export const ENVIRONMENTS: Record<'dev' | 'prod', EnvironmentSettings> = {
  dev: {
    ...shared,
    name: 'dev',
    multiAz: false,
    deletionProtection: false,
    aurora: { minCapacity: 0.5, maxCapacity: 2, backupRetentionDays: 1 },
    redis: { nodeType: 'cache.t4g.micro' },
    lambda: { memoryMb: 512, logRetentionDays: 7 },
    throttling: { rate: 50, burst: 100, loginRate: 2, loginBurst: 5 },
  },
  prod: {
    ...shared,
    name: 'prod',
    multiAz: true,
    deletionProtection: true,
    aurora: { minCapacity: 1, maxCapacity: 16, backupRetentionDays: 14 },
    redis: { nodeType: 'cache.r7g.large' },
    lambda: { memoryMb: 1024, logRetentionDays: 30 },
    throttling: { rate: 2000, burst: 5000, loginRate: 20, loginBurst: 40 },
  },
};

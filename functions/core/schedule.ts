/** The one schedule table (DESIGN.md, "Schedules"): the local scheduler, EventBridge and CronJobs derive from it. */
export const JOB_NAMES = [
  'backup',
  'reminders',
  'expire-holds',
  'daily-report',
  'weekly-housekeeping',
] as const;

export type JobName = (typeof JOB_NAMES)[number];

export interface ScheduledJob {
  name: JobName;
  /** Five-field cron, in the configured time zone (SCHEDULE_TIMEZONE). */
  cron: string;
  description: string;
}

export const SCHEDULE: readonly ScheduledJob[] = [
  {
    name: 'backup',
    cron: '0 2 * * *',
    description: 'pg_dump with retention (containers); verify a recent snapshot (AWS)',
  },
  {
    name: 'reminders',
    cron: '0 9 * * *',
    description: "e-mail every ticket holder of tomorrow's concerts, once",
  },
  {
    name: 'expire-holds',
    cron: '*/30 * * * *',
    description: 'release overdue holds, publish availability, notify admins',
  },
  {
    name: 'daily-report',
    cron: '0 23 * * *',
    description: 'per-concert sales, revenue, sell-through; stored and mailed to admins',
  },
  {
    name: 'weekly-housekeeping',
    cron: '0 0 * * 0',
    description: 'purge old expired and cancelled holds, stale connections, old history',
  },
];

export function isJobName(value: string): value is JobName {
  return (JOB_NAMES as readonly string[]).includes(value);
}

import { Cron } from 'croner';

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

/**
 * The latest tick of `job`'s cron at or before `at`, in `timeZone` (an IANA zone): the time a run that
 * starts at `at` was scheduled for when its trigger does not say (a Kubernetes CronJob, the in-process
 * scheduler). Daylight-saving changes follow croner: a tick in a skipped hour runs once after the gap, an
 * hour that repeats runs once. Falls back to `at` itself for a pattern with no earlier tick.
 */
export function latestTick(job: JobName, at: Date, timeZone: string): Date {
  const entry = SCHEDULE.find((scheduled) => scheduled.name === job);
  if (!entry) return at;
  const [tick] = new Cron(entry.cron, { timezone: timeZone }).previousRuns(1, new Date(at.getTime() + 1000));
  return tick && tick.getTime() <= at.getTime() ? tick : at;
}

/** The local calendar day (YYYY-MM-DD) of the instant `at` in `timeZone` (an IANA zone). */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** `date` (YYYY-MM-DD) plus `days` calendar days (negative: earlier). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The instant local midnight starts `date` (YYYY-MM-DD) in `timeZone`. A day is [start(D), start(D + 1)):
 * 24 h, or 23 h / 25 h on a daylight-saving change (no zone moves its clocks at midnight by more than the
 * two passes below correct).
 */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const wall = Date.parse(`${date}T00:00:00Z`);
  let instant = wall;
  for (let pass = 0; pass < 3; pass++) instant = wall - offsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

/** How far `timeZone`'s wall clock runs ahead of UTC at `at`, in ms. */
function offsetMs(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const field = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const wall = Date.UTC(
    field('year'),
    field('month') - 1,
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
  );
  return wall - Math.floor(at.getTime() / 1000) * 1000;
}

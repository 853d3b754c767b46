import { type JobName, latestTick } from '../functions/core/schedule';
import { adminDate, calendarDate } from '../functions/handlers/http/schemas';

/**
 * The time a command-line job run stands for, from `--at`: an ISO-8601 instant with `Z` or an offset
 * (`2026-03-29T23:00:00+02:00`), `now`, or `tick` (the latest tick of the job's cron at or before now in
 * `timeZone`, what a Kubernetes CronJob, which passes no time, was fired for). Without `--at`: `fallback`.
 * Throws an Error naming `--at` for anything else (a local time without an offset is ambiguous, refused).
 */
export function scheduledTimeFromArgument(
  value: string | undefined,
  job: JobName,
  timeZone: string,
  now: Date,
  fallback: 'now' | 'tick',
): Date {
  const choice = value ?? fallback;
  if (choice === 'now') return now;
  if (choice === 'tick') return latestTick(job, now, timeZone);
  if (!adminDate.safeParse(choice).success)
    throw new Error(
      `--at takes an ISO time with Z or an offset (e.g. 2026-03-29T23:00:00Z) from 2000 up to 2100, "now" or "tick"`,
    );
  return new Date(choice);
}

/**
 * Checks a `--date` argument (a daily report's day, YYYY-MM-DD, from 2000-01-01 up to 2100-01-01 exclusive,
 * the range every date of a request takes). Throws an Error naming `--date` otherwise.
 */
export function reportDateFromArgument(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!calendarDate.safeParse(value).success)
    throw new Error('--date takes YYYY-MM-DD, a day from 2000-01-01 up to 2100-01-01 (exclusive)');
  return value;
}

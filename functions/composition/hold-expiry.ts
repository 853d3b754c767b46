import type { Logger } from 'pino';
import { runAsRequest } from '../adapters/node/request-context';
import { HoldExpiryTimer } from '../core/hold-expiry-timer';
import { expireHolds, type JobDeps, newRunId } from '../core/jobs.service';
import type { SqlDatabase } from '../ports/sql-database.port';

/**
 * A long-running process frees each hold the moment it runs out (watchers see it then) instead of at the
 * next expire-holds run: the timer runs the expire-holds sweep, as its own request (`hold-expiry-…` id),
 * logging its progress at debug. A failed sweep is logged; the scheduled job catches up.
 */
export function holdExpiryTimer(jobs: JobDeps, logger: Logger): HoldExpiryTimer {
  return new HoldExpiryTimer(
    async () => {
      await runAsRequest(newRunId('hold-expiry'), () =>
        expireHolds({ ...jobs, progress: (message, details) => logger.debug(details ?? {}, message) }),
      );
    },
    (error) => logger.warn({ err: error }, 'could not release overdue holds; the expire-holds job will'),
  );
}

/**
 * Holds made before this process started (a restart, another replica) run out on time too: one timer per
 * distinct second of a live hold's `expires_at` (at most HOLD_TTL_SECONDS of them; overdue ones at once).
 */
export async function armHeldExpiries(db: SqlDatabase, timer: HoldExpiryTimer): Promise<void> {
  const rows = await db.query<{ second: string | number }>(
    `SELECT DISTINCT ceil(extract(epoch FROM expires_at))::bigint AS second
       FROM reservations WHERE status = 'held'`,
  );
  for (const row of rows) timer.holdRunsOutAt(new Date(Number(row.second) * 1000));
}

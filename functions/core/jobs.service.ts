import { randomUUID } from 'node:crypto';
import type { BackupTarget } from '../ports/backup.port';
import type { ConnectionRegistry } from '../ports/connection-registry.port';
import type { Mailer } from '../ports/mailer.port';
import type { MaintenanceRepository } from '../ports/maintenance.repository.port';
import type { OutboxRepository } from '../ports/outbox.repository.port';
import type { RealtimeEvents } from '../ports/realtime-events.port';
import type { DailyReport, ReportRepository } from '../ports/report.repository.port';
import type { SqlDatabase } from '../ports/sql-database.port';
import { dailyReportEmail, reminderEmail } from './emails';
import { TicketingError } from './errors';
import { addDays, type JobName, localDate, startOfLocalDay } from './schedule';

export { localDate } from './schedule';

export interface JobDeps {
  locks: Pick<SqlDatabase, 'tryWithLock'>;
  maintenance: MaintenanceRepository;
  outbox: OutboxRepository;
  reports: ReportRepository;
  mailer: Mailer;
  events: RealtimeEvents;
  registry: ConnectionRegistry;
  /** Undefined where this target has no way to back up (then the job fails, loudly). */
  backup: BackupTarget | undefined;
  timeZone: string;
  now: () => Date;
  progress: (message: string, details?: Record<string, unknown>) => void;
  /**
   * Runs a job's work under its run id, so what it publishes (freed holds, sold-out changes) carries the id
   * the way a request's changes carry the request id. Left out, the work runs as it is.
   */
  correlate?: <T>(runId: string, work: () => Promise<T>) => Promise<T>;
}

export interface JobOptions {
  /**
   * The time this run was scheduled for: EventBridge Scheduler's `<aws.scheduler.scheduled-time>`, the cron
   * tick the in-process scheduler or a CronJob fired for, or the CLI's `--at`. Every period (reminder window,
   * report day, purge cut-off) follows from it, never from the clock when the run happens (DESIGN
   * invariant 8). Default: now.
   */
  scheduledAt?: Date;
  /** daily-report: the day to report (YYYY-MM-DD) instead of the local day of `scheduledAt`. */
  date?: string;
}

export type JobCounts = Record<string, number>;

export interface JobReport {
  job: JobName;
  /** `job:<name>:<8 hex>`: found in the trace of every change the run published. */
  runId: string;
  outcome: 'succeeded' | 'skipped' | 'failed';
  counts: JobCounts;
  /** ISO time the run was scheduled for (see JobOptions.scheduledAt). */
  scheduledAt: string;
  startedAt: string;
  finishedAt: string;
  error?: string;
}

const MAIL_BATCH = 20;
const MAIL_LEASE_SECONDS = 120;
export const MAIL_MAX_ATTEMPTS = 5;
const DAY_MS = 86_400_000;
/**
 * A day's report is final when computed this long after local midnight: a confirmation stamps
 * `confirmed_at` when its transaction starts, so one in flight at midnight commits a moment later.
 */
export const REPORT_FINAL_AFTER_MS = 5 * 60_000;
/** daily-report catches up at most this many days left unfinished (a service down for longer needs `--date`). */
export const REPORT_CATCH_UP_DAYS = 31;

/** `<kind>:<8 hex>`: short, unique enough to find one run's lines, and a valid request id. */
export const newRunId = (kind: string): string => `${kind}:${randomUUID().slice(0, 8)}`;

/**
 * Runs one job under its advisory lock and records the run. A job fired twice, late, or on two replicas
 * at once runs once at a time; a second concurrent start is recorded as skipped. Each job is also
 * idempotent on its own (unique keys, upserts), so a re-run after a crash repeats no effect.
 */
export async function runJob(deps: JobDeps, job: JobName, options: JobOptions = {}): Promise<JobReport> {
  const startedAt = deps.now();
  const scheduledAt = options.scheduledAt ?? startedAt;
  const runId = newRunId(`job:${job}`);
  const correlate = deps.correlate ?? ((_runId, work) => work());
  let outcome: JobReport['outcome'] = 'succeeded';
  let counts: JobCounts = {};
  let failure: unknown;
  try {
    // The signal aborts if the lock is lost mid-run; the work stops at its next step and the run fails.
    const locked = await deps.locks.tryWithLock(lockKey(job), (signal) =>
      correlate(runId, () => JOBS[job](deps, { ...options, scheduledAt, signal })),
    );
    if (locked.acquired) counts = locked.result;
    else {
      outcome = 'skipped';
      deps.progress(`${job}: another run holds the lock; skipping`);
    }
  } catch (error) {
    outcome = 'failed';
    failure = error;
  }
  const finishedAt = deps.now();
  const error =
    failure === undefined ? undefined : failure instanceof Error ? failure.message : String(failure);
  await deps.maintenance
    .recordRun({ job, scheduledAt, startedAt, finishedAt, outcome, counts, ...(error ? { error } : {}) })
    .catch((recordError: unknown) =>
      deps.progress(`${job}: could not record the run`, { error: String(recordError) }),
    );
  if (failure !== undefined) throw failure;
  return {
    job,
    runId,
    outcome,
    counts,
    scheduledAt: scheduledAt.toISOString(),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
  };
}

type ScheduledOptions = JobOptions & { scheduledAt: Date; signal?: AbortSignal };

const JOBS: Record<JobName, (deps: JobDeps, options: ScheduledOptions) => Promise<JobCounts>> = {
  'expire-holds': expireHolds,
  reminders: sendReminders,
  'daily-report': async (deps, options) => (await dailyReport(deps, options)).counts,
  backup: async (deps) => {
    if (!deps.backup)
      throw new TicketingError('SERVICE_UNAVAILABLE', 'No backup target is configured for this deployment');
    const result = await deps.backup.backUp();
    deps.progress(`backup: wrote ${result.location} (${result.bytes} bytes)`, { pruned: result.pruned });
    return { bytes: result.bytes, pruned: result.pruned.length };
  },
  'weekly-housekeeping': housekeeping,
};

/**
 * Marks overdue holds expired, returns their tickets, publishes availability and tells admins. It has no
 * period: it releases what is overdue when it runs (a hold counts as free once overdue anyway, DESIGN
 * invariant 1), so a late, doubled or skipped run loses nothing.
 */
export async function expireHolds(
  deps: Pick<JobDeps, 'maintenance' | 'events' | 'progress'>,
): Promise<JobCounts> {
  const released = await deps.maintenance.releaseOverdueHolds();
  const concerts = new Set(released.map((r) => r.concertId));
  for (const concertId of concerts) {
    deps.events.concertChanged(concertId);
    deps.events.notifyAdmins({ event: 'holds-expired', concertId });
  }
  const counts = {
    holds: released.reduce((sum, r) => sum + r.holds, 0),
    tickets: released.reduce((sum, r) => sum + r.tickets, 0),
    concerts: concerts.size,
  };
  deps.progress(`expire-holds: ${counts.holds} holds expired, ${counts.tickets} tickets back on sale`);
  return counts;
}

/**
 * The concert start times a reminders run scheduled at `scheduledAt` covers: [S + 24 h, S + 48 h), reaching
 * back to `watermark` (the end of the last window mailed) when that is earlier, so a skipped day or the
 * hour a daylight-saving change moves the 09:00 run by is covered; never back before S itself (a concert
 * that started before the run was due gets no reminder). Times in ms since the epoch.
 */
export function reminderWindow(scheduledAt: Date, watermark: Date | null): { from: Date; to: Date } {
  const usual = scheduledAt.getTime() + DAY_MS;
  const from = Math.max(scheduledAt.getTime(), Math.min(watermark?.getTime() ?? usual, usual));
  return { from: new Date(from), to: new Date(scheduledAt.getTime() + 2 * DAY_MS) };
}

/**
 * One reminder per holder per concert in the run's window (see reminderWindow), through the outbox: the
 * dedupe key `reminder:<concert>:<user>` makes overlapping windows, doubled and concurrent runs mail once.
 * The watermark moves on only after the e-mails are queued, so a run that fails is redone by the next.
 */
async function sendReminders(deps: JobDeps, options: ScheduledOptions): Promise<JobCounts> {
  const window = reminderWindow(options.scheduledAt, await deps.maintenance.watermark('reminders'));
  const holders = await deps.maintenance.reminderCandidates(window.from, window.to);
  const queued = await deps.outbox.enqueue(
    holders.map((holder) => ({
      ...reminderEmail(holder, deps.timeZone),
      dedupeKey: `reminder:${holder.concertId}:${holder.userId}`,
    })),
  );
  await deps.maintenance.advanceWatermark('reminders', window.to);
  deps.progress(
    `reminders: concerts starting ${window.from.toISOString()} to ${window.to.toISOString()}, ` +
      `${holders.length} holders, ${queued} new e-mails queued`,
  );
  return { holders: holders.length, queued, ...(await deliverOutbox(deps, { signal: options.signal })) };
}

/**
 * The daily report of day D = the local date of `scheduledAt` in the schedule's zone (or `options.date`).
 * First it finalizes the days before D left unfinished since the watermark (at most REPORT_CATCH_UP_DAYS,
 * or just D - 1 on a first run): a late, skipped or early-ending run's day ends up complete exactly once.
 * Then it stores D: final when the clock is past D's end (plus REPORT_FINAL_AFTER_MS), otherwise
 * provisional, to be finalized by the next run. Each day is mailed to each admin once (dedupe key
 * `daily-report:<day>:<admin>`), with the figures it has when first stored: the 23:00 run mails D as of
 * 23:00; the final figures are stored and served (`GET /api/admin/reports/daily`), not mailed again.
 * Returns D's report and the run's counts (`days`: reports stored, `finalized`: days made final).
 */
export async function dailyReport(deps: JobDeps, options: JobOptions & { signal?: AbortSignal }) {
  const scheduledAt = options.scheduledAt ?? deps.now();
  const date = options.date ?? localDate(scheduledAt, deps.timeZone);
  const mark = await deps.maintenance.watermark('daily-report');
  const earliest = addDays(date, -REPORT_CATCH_UP_DAYS);
  const isOver = (day: string) =>
    deps.now().getTime() >= startOfLocalDay(addDays(day, 1), deps.timeZone).getTime() + REPORT_FINAL_AFTER_MS;
  // Catch-up: the unfinished days before D, oldest first, only those already over.
  const backlog: string[] = [];
  for (
    let day = mark ? localDate(mark, deps.timeZone) : addDays(date, -1);
    day < date && isOver(day);
    day = addDays(day, 1)
  )
    if (day >= earliest) backlog.push(day);
  const admins = await deps.maintenance.adminEmails();
  let queued = 0;
  let finalized = 0;
  let result: DailyReport | undefined;
  for (const day of [...backlog, date]) {
    options.signal?.throwIfAborted(); // the job lock is lost: stop before the next day (redone next run)
    // Decided by the clock, not the schedule: whether the day is over is a fact about the data.
    const final = isOver(day);
    const stored = await deps.reports.computeAndStore(day, deps.timeZone, { final });
    queued += await deps.outbox.enqueue(
      admins.map((to) => ({ ...dailyReportEmail(stored, to), dedupeKey: `daily-report:${day}:${to}` })),
    );
    if (final) {
      finalized++;
      await deps.maintenance.advanceWatermark(
        'daily-report',
        startOfLocalDay(addDays(day, 1), deps.timeZone),
      );
    }
    result = stored;
  }
  if (!result) throw new Error('daily-report: no day computed'); // unreachable: `date` is always computed
  deps.progress(
    `daily-report: ${date} (${result.final ? 'final' : 'provisional'}), ${result.concerts.length} concerts, ` +
      `${finalized} day(s) finalized, mailed to ${queued} new admin(s)`,
  );
  return {
    report: result,
    counts: {
      concerts: result.concerts.length,
      days: backlog.length + 1,
      finalized,
      queued,
      ...(await deliverOutbox(deps, { signal: options.signal })),
    },
  };
}

/** Purges what is older than its retention, counted back from the scheduled time (not the run's clock). */
async function housekeeping(deps: JobDeps, options: ScheduledOptions): Promise<JobCounts> {
  const reservations = await deps.maintenance.purgeStaleReservations(30, options.scheduledAt);
  const history = await deps.maintenance.purgeHistory(90, options.scheduledAt);
  const connections = await deps.registry.pruneStale();
  deps.progress(
    `weekly-housekeeping: removed ${reservations} old holds, ${connections} stale connection entries, ` +
      `${history.emails} old e-mails, ${history.jobRuns} old job runs`,
  );
  return { reservations, connections, emails: history.emails, jobRuns: history.jobRuns };
}

export interface DeliveryOptions {
  /** How long (s) a claim on a batch lasts unless renewed; renewed every third of it. Default 120. */
  leaseSeconds?: number;
  /** Aborted: stop after the e-mail being sent (the job's lock was lost, or the process is stopping). */
  signal?: AbortSignal;
}

/**
 * Sends what is due in the outbox; a failure is retried later with exponential back-off (30 s, 60 s, ...),
 * then given up after MAIL_MAX_ATTEMPTS. The claim on a batch is renewed right before each send and every
 * third of its lease while the send runs, so however slow the mail server, no second sender (another job
 * run, another replica) takes an e-mail that is being sent. A sender that finds its claim lost (it ran out
 * unrenewed, say the process froze, and another took it) marks nothing and stops. Stopping early gives the
 * untried rest of the batch back at once.
 *
 * Bound (DESIGN invariant 5): an e-mail goes out twice only if this process dies, or loses the database,
 * between the mail server's answer and the mark, or when the claim ran out unrenewed while one send was in
 * flight (a stall longer than the lease); the mail server's own timeouts bound each send's silences.
 * Returns `{ sent, failed }`, and `claimsLost` when a claim was lost.
 */
export async function deliverOutbox(
  deps: Pick<JobDeps, 'outbox' | 'mailer' | 'progress'>,
  options: DeliveryOptions = {},
): Promise<JobCounts & { sent: number; failed: number }> {
  const leaseSeconds = options.leaseSeconds ?? MAIL_LEASE_SECONDS;
  let sent = 0;
  let failed = 0;
  let claimsLost = 0;
  while (!options.signal?.aborted) {
    const batch = await deps.outbox.claim(MAIL_BATCH, leaseSeconds, MAIL_MAX_ATTEMPTS);
    const claimToken = batch[0]?.claimToken;
    if (!claimToken) break;
    const claim = keepClaim(deps.outbox, claimToken, leaseSeconds);
    // Only e-mails never tried are given back: one whose send ran and whose mark failed waits out its claim.
    const untried = new Set(batch.map((email) => email.id));
    try {
      for (const email of batch) {
        if (options.signal?.aborted || claim.lost) break;
        untried.delete(email.id);
        // Renewed right before the send, so the send starts with a whole lease ahead of it.
        if (!(await claim.renewFor(email.id))) break;
        let error: unknown;
        try {
          await deps.mailer.send(email);
        } catch (sendError) {
          error = sendError ?? new Error('send failed');
        }
        claim.sending = undefined;
        const marked =
          error === undefined
            ? await deps.outbox.markSent(email.id, claimToken)
            : await deps.outbox.markFailed(
                email.id,
                claimToken,
                error instanceof Error ? error.message : String(error),
                email.attempts >= MAIL_MAX_ATTEMPTS ? null : 30 * 2 ** (email.attempts - 1),
              );
        if (!marked) {
          claim.lost = true;
          break;
        }
        if (error === undefined) sent++;
        else failed++;
      }
    } finally {
      claim.stop();
      await deps.outbox
        .releaseClaim(claimToken, [...untried])
        .catch((error: unknown) =>
          deps.progress('outbox: could not give back a claim', { error: String(error) }),
        );
    }
    if (claim.lost) {
      claimsLost++;
      deps.progress('outbox: another sender took over this claim; stopping');
      break;
    }
    deps.progress(`outbox: ${sent} sent, ${failed} failed so far`);
  }
  return { sent, failed, ...(claimsLost > 0 ? { claimsLost } : {}) };
}

/**
 * Renews the claim `claimToken` every third of `leaseSeconds` until stopped, whatever the sender is doing;
 * `lost` turns true once the e-mail being sent is known to be no longer held. A renewal that fails (the
 * database unreachable) is tried again on the next beat.
 */
function keepClaim(outbox: OutboxRepository, claimToken: string, leaseSeconds: number) {
  const state = {
    lost: false,
    sending: undefined as string | undefined,
    async renewFor(id: string): Promise<boolean> {
      const held = await outbox.extendClaim(claimToken, leaseSeconds);
      if (!held.includes(id)) state.lost = true;
      else state.sending = id;
      return !state.lost;
    },
    stop: () => clearInterval(timer),
  };
  const timer = setInterval(
    () => {
      const id = state.sending;
      if (id === undefined) return;
      outbox.extendClaim(claimToken, leaseSeconds).then(
        (held) => {
          if (state.sending === id && !held.includes(id)) state.lost = true;
        },
        () => undefined,
      );
    },
    Math.max(1, Math.floor((leaseSeconds * 1000) / 3)),
  );
  timer.unref?.();
  return state;
}

/** A stable advisory-lock key per job (FNV-1a of the name, as a positive 31-bit integer). */
export function lockKey(job: JobName): number {
  let hash = 0x811c9dc5;
  for (const char of `concert-ticket-system:job:${job}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 1;
}

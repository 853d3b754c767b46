import { randomUUID } from 'node:crypto';
import type { BackupTarget } from '../ports/backup.port';
import type { ConnectionRegistry } from '../ports/connection-registry.port';
import type { Mailer } from '../ports/mailer.port';
import type { MaintenanceRepository } from '../ports/maintenance.repository.port';
import type { OutboxRepository } from '../ports/outbox.repository.port';
import type { RealtimeEvents } from '../ports/realtime-events.port';
import type { ReportRepository } from '../ports/report.repository.port';
import type { SqlDatabase } from '../ports/sql-database.port';
import { dailyReportEmail, reminderEmail } from './emails';
import { TicketingError } from './errors';
import type { JobName } from './schedule';

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
  /** daily-report: the day to report (YYYY-MM-DD); default today in the schedule's time zone. */
  date?: string;
}

export type JobCounts = Record<string, number>;

export interface JobReport {
  job: JobName;
  /** `job:<name>:<8 hex>`: found in the trace of every change the run published. */
  runId: string;
  outcome: 'succeeded' | 'skipped' | 'failed';
  counts: JobCounts;
  startedAt: string;
  finishedAt: string;
  error?: string;
}

const MAIL_BATCH = 20;
const MAIL_LEASE_SECONDS = 120;
export const MAIL_MAX_ATTEMPTS = 5;
const DAY_MS = 86_400_000;

/** `<kind>:<8 hex>`: short, unique enough to find one run's lines, and a valid request id. */
export const newRunId = (kind: string): string => `${kind}:${randomUUID().slice(0, 8)}`;

/**
 * Runs one job under its advisory lock and records the run. A job fired twice, late, or on two replicas
 * at once runs once at a time; a second concurrent start is recorded as skipped. Each job is also
 * idempotent on its own (unique keys, upserts), so a re-run after a crash repeats no effect.
 */
export async function runJob(deps: JobDeps, job: JobName, options: JobOptions = {}): Promise<JobReport> {
  const startedAt = deps.now();
  const runId = newRunId(`job:${job}`);
  const correlate = deps.correlate ?? ((_runId, work) => work());
  let outcome: JobReport['outcome'] = 'succeeded';
  let counts: JobCounts = {};
  let failure: unknown;
  try {
    const locked = await deps.locks.tryWithLock(lockKey(job), () =>
      correlate(runId, () => JOBS[job](deps, options)),
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
    .recordRun({ job, startedAt, finishedAt, outcome, counts, ...(error ? { error } : {}) })
    .catch((recordError: unknown) =>
      deps.progress(`${job}: could not record the run`, { error: String(recordError) }),
    );
  if (failure !== undefined) throw failure;
  return {
    job,
    runId,
    outcome,
    counts,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
  };
}

const JOBS: Record<JobName, (deps: JobDeps, options: JobOptions) => Promise<JobCounts>> = {
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

/** Marks overdue holds expired, returns their tickets, publishes availability and tells admins. */
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

/** One reminder per holder per concert starting 24–48 hours from now, through the outbox. */
async function sendReminders(deps: JobDeps): Promise<JobCounts> {
  const now = deps.now().getTime();
  const holders = await deps.maintenance.reminderCandidates(
    new Date(now + DAY_MS),
    new Date(now + 2 * DAY_MS),
  );
  const queued = await deps.outbox.enqueue(
    holders.map((holder) => ({
      ...reminderEmail(holder, deps.timeZone),
      dedupeKey: `reminder:${holder.concertId}:${holder.userId}`,
    })),
  );
  deps.progress(`reminders: ${holders.length} holders, ${queued} new e-mails queued`);
  return { holders: holders.length, queued, ...(await deliverOutbox(deps)) };
}

export async function dailyReport(deps: JobDeps, options: JobOptions) {
  const date = options.date ?? localDate(deps.now(), deps.timeZone);
  const report = await deps.reports.computeAndStore(date, deps.timeZone);
  const admins = await deps.maintenance.adminEmails();
  const queued = await deps.outbox.enqueue(
    admins.map((to) => ({ ...dailyReportEmail(report, to), dedupeKey: `daily-report:${date}:${to}` })),
  );
  deps.progress(
    `daily-report: ${date}, ${report.concerts.length} concerts, mailed to ${queued} new admin(s)`,
  );
  return { report, counts: { concerts: report.concerts.length, queued, ...(await deliverOutbox(deps)) } };
}

async function housekeeping(deps: JobDeps): Promise<JobCounts> {
  const reservations = await deps.maintenance.purgeStaleReservations(30);
  const history = await deps.maintenance.purgeHistory(90);
  const connections = await deps.registry.pruneStale();
  deps.progress(
    `weekly-housekeeping: removed ${reservations} old holds, ${connections} stale connection entries, ` +
      `${history.emails} old e-mails, ${history.jobRuns} old job runs`,
  );
  return { reservations, connections, emails: history.emails, jobRuns: history.jobRuns };
}

/** Sends what is due in the outbox; a failure is retried later with exponential back-off, then given up. */
export async function deliverOutbox(
  deps: Pick<JobDeps, 'outbox' | 'mailer' | 'progress'>,
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  for (;;) {
    const batch = await deps.outbox.claim(MAIL_BATCH, MAIL_LEASE_SECONDS, MAIL_MAX_ATTEMPTS);
    if (batch.length === 0) break;
    for (const email of batch) {
      try {
        await deps.mailer.send(email);
        await deps.outbox.markSent(email.id);
        sent++;
      } catch (error) {
        failed++;
        const retryIn = email.attempts >= MAIL_MAX_ATTEMPTS ? null : 30 * 2 ** (email.attempts - 1);
        await deps.outbox.markFailed(
          email.id,
          error instanceof Error ? error.message : String(error),
          retryIn,
        );
      }
    }
    deps.progress(`outbox: ${sent} sent, ${failed} failed so far`);
  }
  return { sent, failed };
}

export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
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

export interface ReleasedHolds {
  concertId: string;
  tierId: string;
  holds: number;
  tickets: number;
}

export interface ReminderCandidate {
  userId: string;
  email: string;
  name: string;
  concertId: string;
  title: string;
  artist: string;
  venue: string;
  startsAt: string;
  ticketCodes: string[];
}

export interface JobRunRecord {
  job: string;
  /** The time the run was scheduled for (its period follows from it); absent for runs recorded before 007. */
  scheduledAt?: Date;
  startedAt: Date;
  finishedAt: Date;
  outcome: 'succeeded' | 'failed' | 'skipped';
  counts: Record<string, number>;
  error?: string;
}

export interface JobRunSummary {
  job: string;
  outcome: string;
  runs: number;
  lastFinishedAt: string;
}

/** The SQL the scheduled jobs need beyond the outbox and the reports. */
export interface MaintenanceRepository {
  releaseOverdueHolds(): Promise<ReleasedHolds[]>;
  /** Holders of confirmed tickets for concerts starting in [from, to). */
  reminderCandidates(from: Date, to: Date): Promise<ReminderCandidate[]>;
  adminEmails(): Promise<string[]>;
  /**
   * Deletes expired and cancelled reservations that ended more than `days` before `asOf` (default: the
   * database's now) and never sold; returns how many. A reservation that was confirmed and then cancelled
   * (its concert was cancelled) is a refund record and is kept, with its tickets, for good.
   */
  purgeStaleReservations(days: number, asOf?: Date): Promise<number>;
  /** Deletes sent or dead e-mails and job runs older than `days` before `asOf` (default: now). */
  purgeHistory(days: number, asOf?: Date): Promise<{ emails: number; jobRuns: number }>;
  /**
   * The end of the last period `job` completed (reminders: the end of the last start-time window mailed;
   * daily-report: the instant the last final day ended), or null before its first run.
   */
  watermark(job: string): Promise<Date | null>;
  /** Moves `job`'s watermark to `until` if that is later; never moves it back (an old `--at` run is harmless). */
  advanceWatermark(job: string, until: Date): Promise<void>;
  recordRun(run: JobRunRecord): Promise<void>;
  /** Runs kept in job_runs, per job and outcome, with the latest finish (for the metrics). */
  runSummary(): Promise<JobRunSummary[]>;
}

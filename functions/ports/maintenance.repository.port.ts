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
  /** Deletes expired and cancelled reservations older than `days`; returns how many. */
  purgeStaleReservations(days: number): Promise<number>;
  /** Deletes sent or dead e-mails and job runs older than `days`. */
  purgeHistory(days: number): Promise<{ emails: number; jobRuns: number }>;
  recordRun(run: JobRunRecord): Promise<void>;
  /** Runs kept in job_runs, per job and outcome, with the latest finish (for the metrics). */
  runSummary(): Promise<JobRunSummary[]>;
}

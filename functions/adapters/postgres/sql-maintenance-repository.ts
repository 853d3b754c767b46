import type {
  JobRunRecord,
  JobRunSummary,
  MaintenanceRepository,
  ReleasedHolds,
  ReminderCandidate,
} from '../../ports/maintenance.repository.port';
import type { SqlDatabase } from '../../ports/sql-database.port';
import { asIsoTime, asNumber, asString } from './sql-values';

export class SqlMaintenanceRepository implements MaintenanceRepository {
  constructor(private readonly db: SqlDatabase) {}

  async releaseOverdueHolds(): Promise<ReleasedHolds[]> {
    const rows = await this.db.query(
      'SELECT tier_id, concert_id, released, holds FROM release_overdue_holds(NULL)',
    );
    return rows.map((row) => ({
      tierId: asString(row.tier_id),
      concertId: asString(row.concert_id),
      tickets: asNumber(row.released),
      holds: asNumber(row.holds),
    }));
  }

  async reminderCandidates(from: Date, to: Date): Promise<ReminderCandidate[]> {
    const rows = await this.db.query(
      `SELECT u.id AS user_id, u.email, u.name, c.id AS concert_id, c.title, c.artist, c.venue, c.starts_at,
              string_agg(t.code, ',' ORDER BY t.code) AS codes
         FROM tickets t
         JOIN reservations r ON r.id = t.reservation_id AND r.status = 'confirmed'
         JOIN concerts c ON c.id = t.concert_id
         JOIN users u ON u.id = t.user_id
        WHERE c.starts_at >= $1::timestamptz AND c.starts_at < $2::timestamptz AND c.status <> 'cancelled'
        GROUP BY u.id, u.email, u.name, c.id, c.title, c.artist, c.venue, c.starts_at
        ORDER BY c.starts_at, u.email`,
      [from.toISOString(), to.toISOString()],
    );
    return rows.map((row) => ({
      userId: asString(row.user_id),
      email: asString(row.email),
      name: asString(row.name),
      concertId: asString(row.concert_id),
      title: asString(row.title),
      artist: asString(row.artist),
      venue: asString(row.venue),
      startsAt: asIsoTime(row.starts_at),
      ticketCodes: asString(row.codes).split(','),
    }));
  }

  async adminEmails(): Promise<string[]> {
    const rows = await this.db.query(`SELECT email FROM users WHERE role = 'admin' ORDER BY email`);
    return rows.map((row) => asString(row.email));
  }

  /**
   * Only holds that never sold go: a reservation that was confirmed and later cancelled (its concert was
   * cancelled) is a refund record, kept with its tickets, which would also refuse its deletion on their
   * foreign key. `confirmed_at` marks every sale; the ticket check covers any row written otherwise.
   */
  async purgeStaleReservations(days: number, asOf?: Date): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM reservations r
        WHERE r.status IN ('expired', 'cancelled')
          AND r.confirmed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.reservation_id = r.id)
          AND coalesce(r.expired_at, r.cancelled_at, r.expires_at)
              < coalesce($2::timestamptz, now()) - make_interval(days => $1::integer)
       RETURNING r.id`,
      [days, asOf?.toISOString() ?? null],
    );
    return rows.length;
  }

  async purgeHistory(days: number, asOf?: Date): Promise<{ emails: number; jobRuns: number }> {
    const cutoff = asOf?.toISOString() ?? null;
    const emails = await this.db.query(
      `DELETE FROM email_outbox WHERE status IN ('sent', 'dead')
          AND created_at < coalesce($2::timestamptz, now()) - make_interval(days => $1::integer) RETURNING id`,
      [days, cutoff],
    );
    const jobRuns = await this.db.query(
      `DELETE FROM job_runs
        WHERE started_at < coalesce($2::timestamptz, now()) - make_interval(days => $1::integer) RETURNING id`,
      [days, cutoff],
    );
    return { emails: emails.length, jobRuns: jobRuns.length };
  }

  async watermark(job: string): Promise<Date | null> {
    const [row] = await this.db.query('SELECT covered_until FROM job_watermarks WHERE job = $1', [job]);
    return row ? new Date(asIsoTime(row.covered_until)) : null;
  }

  async advanceWatermark(job: string, until: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO job_watermarks (job, covered_until) VALUES ($1, $2::timestamptz)
       ON CONFLICT (job) DO UPDATE SET covered_until = EXCLUDED.covered_until, updated_at = now()
        WHERE job_watermarks.covered_until < EXCLUDED.covered_until`,
      [job, until.toISOString()],
    );
  }

  async recordRun(run: JobRunRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO job_runs (job, started_at, finished_at, outcome, counts, error, scheduled_at)
       VALUES ($1, $2::timestamptz, $3::timestamptz, $4, $5, $6, $7::timestamptz)`,
      [
        run.job,
        run.startedAt.toISOString(),
        run.finishedAt.toISOString(),
        run.outcome,
        JSON.stringify(run.counts),
        run.error ?? null,
        run.scheduledAt?.toISOString() ?? null,
      ],
    );
  }

  async runSummary(): Promise<JobRunSummary[]> {
    const rows = await this.db.query(
      `SELECT job, outcome, count(*) AS runs, max(finished_at) AS last
         FROM job_runs GROUP BY job, outcome ORDER BY job, outcome`,
    );
    return rows.map((row) => ({
      job: asString(row.job),
      outcome: asString(row.outcome),
      runs: asNumber(row.runs),
      lastFinishedAt: asIsoTime(row.last),
    }));
  }
}

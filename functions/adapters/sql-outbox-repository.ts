import type { ClaimedEmail, OutboxRepository, QueuedEmail } from '../ports/outbox.repository.port';
import type { SqlDatabase } from '../ports/sql-database.port';
import { asNumber, asString } from './sql-values';

export class SqlOutboxRepository implements OutboxRepository {
  constructor(private readonly db: SqlDatabase) {}

  async enqueue(emails: QueuedEmail[]): Promise<number> {
    if (emails.length === 0) return 0;
    const rows = await this.db.query(
      `INSERT INTO email_outbox (dedupe_key, recipient, subject, text_body, html_body)
       SELECT x.dedupe_key, x.recipient, x.subject, x.text_body, x.html_body
         FROM json_to_recordset($1::json)
              AS x(dedupe_key text, recipient text, subject text, text_body text, html_body text)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id`,
      [
        JSON.stringify(
          emails.map((email) => ({
            dedupe_key: email.dedupeKey,
            recipient: email.to,
            subject: email.subject,
            text_body: email.text,
            html_body: email.html,
          })),
        ),
      ],
    );
    return rows.length;
  }

  async claim(limit: number, leaseSeconds: number, maxAttempts: number): Promise<ClaimedEmail[]> {
    // 'sending' rows whose lease ran out belong to a sender that died: they are due again.
    const rows = await this.db.query(
      `UPDATE email_outbox SET status = 'sending', attempts = attempts + 1,
              next_attempt_at = now() + make_interval(secs => $2)
        WHERE id IN (
          SELECT id FROM email_outbox
           WHERE status IN ('pending', 'sending', 'failed') AND next_attempt_at <= now() AND attempts < $3
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
       RETURNING id, recipient, subject, text_body, html_body, attempts`,
      [limit, leaseSeconds, maxAttempts],
    );
    return rows.map((row) => ({
      id: asString(row.id),
      to: asString(row.recipient),
      subject: asString(row.subject),
      text: asString(row.text_body),
      html: asString(row.html_body),
      attempts: asNumber(row.attempts),
    }));
  }

  async markSent(id: string): Promise<void> {
    await this.db.query(
      `UPDATE email_outbox SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1`,
      [id],
    );
  }

  async markFailed(id: string, error: string, retryInSeconds: number | null): Promise<void> {
    await this.db.query(
      `UPDATE email_outbox
          SET status = CASE WHEN $3::integer IS NULL THEN 'dead' ELSE 'failed' END,
              last_error = $2,
              next_attempt_at = now() + make_interval(secs => coalesce($3::integer, 0))
        WHERE id = $1`,
      [id, error.slice(0, 2000), retryInSeconds],
    );
  }
}

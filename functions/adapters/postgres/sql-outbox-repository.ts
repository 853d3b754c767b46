import { randomUUID } from 'node:crypto';
import type { ClaimedEmail, OutboxRepository, QueuedEmail } from '../../ports/outbox.repository.port';
import type { SqlDatabase, SqlExecutor } from '../../ports/sql-database.port';
import { asNumber, asString } from './sql-values';

/**
 * The e-mail outbox in `email_outbox` (migrations 002, 008) on any SqlDatabase. A claim sets status
 * 'sending', a fresh `claim_token` and `next_attempt_at` = the end of the claim; every later write checks
 * the token, so one that lost its claim changes nothing.
 */
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
    const claimToken = randomUUID();
    // 'sending' rows whose claim ran out unrenewed belong to a sender that died or stalled: due again.
    const rows = await this.db.query(
      `UPDATE email_outbox SET status = 'sending', attempts = attempts + 1, claim_token = $4,
              next_attempt_at = now() + make_interval(secs => $2)
        WHERE id IN (
          SELECT id FROM email_outbox
           WHERE status IN ('pending', 'sending', 'failed') AND next_attempt_at <= now() AND attempts < $3
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
       RETURNING id, recipient, subject, text_body, html_body, attempts`,
      [limit, leaseSeconds, maxAttempts, claimToken],
    );
    return rows.map((row) => ({
      id: asString(row.id),
      to: asString(row.recipient),
      subject: asString(row.subject),
      text: asString(row.text_body),
      html: asString(row.html_body),
      attempts: asNumber(row.attempts),
      claimToken,
    }));
  }

  async extendClaim(claimToken: string, leaseSeconds: number): Promise<string[]> {
    const rows = await this.db.query(
      `UPDATE email_outbox SET next_attempt_at = now() + make_interval(secs => $2)
        WHERE claim_token = $1 AND status = 'sending'
       RETURNING id`,
      [claimToken, leaseSeconds],
    );
    return rows.map((row) => asString(row.id));
  }

  async markSent(id: string, claimToken: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE email_outbox SET status = 'sent', sent_at = now(), last_error = NULL, claim_token = NULL
        WHERE id = $1 AND claim_token = $2 AND status = 'sending'
       RETURNING id`,
      [id, claimToken],
    );
    return rows.length === 1;
  }

  async markFailed(
    id: string,
    claimToken: string,
    error: string,
    retryInSeconds: number | null,
  ): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE email_outbox
          SET status = CASE WHEN $4::integer IS NULL THEN 'dead' ELSE 'failed' END,
              last_error = $3,
              claim_token = NULL,
              next_attempt_at = now() + make_interval(secs => coalesce($4::integer, 0))
        WHERE id = $1 AND claim_token = $2 AND status = 'sending'
       RETURNING id`,
      [id, claimToken, error.slice(0, 2000), retryInSeconds],
    );
    return rows.length === 1;
  }

  async releaseClaim(claimToken: string, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    // The ids as JSON text: arrays are not portable to the RDS Data API.
    const rows = await this.db.query(
      `UPDATE email_outbox SET next_attempt_at = now(), attempts = attempts - 1, claim_token = NULL
        WHERE claim_token = $1 AND status = 'sending'
          AND id IN (SELECT value::uuid FROM json_array_elements_text($2::json))
       RETURNING id`,
      [claimToken, JSON.stringify(ids)],
    );
    return rows.length;
  }
}

/**
 * The rows {@link SqlOutboxRepository.enqueue} writes, inside the caller's transaction (a concert's
 * cancellation mails, a waiting-list offer's mail): a mail is queued with the change that caused it, or
 * not at all. Duplicates (same `dedupeKey`) are skipped.
 */
export async function enqueueEmails(tx: SqlExecutor, emails: QueuedEmail[]): Promise<void> {
  if (emails.length === 0) return;
  await tx.query(
    `INSERT INTO email_outbox (dedupe_key, recipient, subject, text_body, html_body)
     SELECT x.dedupe_key, x.recipient, x.subject, x.text_body, x.html_body
       FROM json_to_recordset($1::json)
            AS x(dedupe_key text, recipient text, subject text, text_body text, html_body text)
     ON CONFLICT (dedupe_key) DO NOTHING`,
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
}

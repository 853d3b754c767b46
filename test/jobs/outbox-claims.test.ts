import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SmtpMailer } from '../../functions/adapters/mail/smtp-mailer';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { SqlOutboxRepository } from '../../functions/adapters/postgres/sql-outbox-repository';
import { deliverOutbox } from '../../functions/core/jobs.service';
import { migrate } from '../../functions/db/migrate';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

/**
 * DESIGN invariant 5 (no duplicate e-mail) when a send is slower than the claim on it: real PostgreSQL,
 * real SMTP (nodemailer to an in-process SMTP server that sits on each message before answering).
 */
describe('e-mail outbox claims on PostgreSQL and a slow SMTP server', () => {
  let database: TestDatabase;
  let db: PgDatabase;
  let smtp: TestSmtpServer;
  let mailer: SmtpMailer;
  let outbox: SqlOutboxRepository;
  const progress = () => undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new PgDatabase({ connectionString: database.url, maxConnections: 6 });
    await migrate(db);
    smtp = await startSmtpServer();
    mailer = new SmtpMailer(smtp.url, 'box-office@example.test');
    outbox = new SqlOutboxRepository(db);
  });
  afterEach(async () => {
    smtp.answerDelayMs = 0;
    smtp.mails.length = 0;
    await db.query('DELETE FROM email_outbox');
  });
  afterAll(async () => {
    mailer?.close();
    await smtp?.close();
    await db?.close();
    await database?.drop();
  });

  const queue = (count: number, tag: string) =>
    outbox.enqueue(
      Array.from({ length: count }, (_, i) => ({
        dedupeKey: `${tag}:${i}`,
        to: `fan${i}@example.test`,
        subject: `${tag} ${i}`,
        text: 'see you there',
        html: '<p>see you there</p>',
      })),
    );
  const subjects = () => smtp.mails.map((mail) => mail.subject ?? '').sort();

  it('a batch slower than its claim stays claimed: a second sender running all along sends none twice', async () => {
    await queue(3, 'slow');
    // Each send takes longer than the whole claim (2 s): only renewal keeps the batch from being re-claimed.
    smtp.answerDelayMs = 2_500;

    let done = false;
    const first = deliverOutbox({ outbox, mailer, progress }, { leaseSeconds: 2 }).finally(() => {
      done = true;
    });
    const second = { sent: 0, failed: 0 };
    while (!done) {
      const round = await deliverOutbox({ outbox, mailer, progress }, { leaseSeconds: 2 });
      second.sent += round.sent;
      second.failed += round.failed;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const firstCounts = await first;

    expect(subjects()).toEqual(['slow 0', 'slow 1', 'slow 2']);
    expect(firstCounts.sent + second.sent).toBe(3);
    expect(await db.query(`SELECT DISTINCT status FROM email_outbox`)).toEqual([{ status: 'sent' }]);
  });

  it('a sender whose claim was taken over marks nothing and sends no more of its batch', async () => {
    await queue(2, 'taken');
    smtp.answerDelayMs = 60_000; // held until the takeover below has happened
    const first = deliverOutbox({ outbox, mailer, progress });
    await expect.poll(() => smtp.inFlight).toBe(1);

    // As if the claim had run out unrenewed (a frozen process): another sender claims both rows.
    await db.query(`UPDATE email_outbox SET next_attempt_at = now() - interval '1 second'`);
    const takenOver = await outbox.claim(20, 120, 5);
    expect(takenOver).toHaveLength(2);
    smtp.answerDelayMs = 0;
    await expect.poll(() => smtp.inFlight).toBe(0); // the in-flight message is answered now

    const counts = await first;

    expect(smtp.mails).toHaveLength(1); // the batch's other e-mail is left to the sender that holds it
    expect(counts).toMatchObject({ sent: 0, failed: 0 });
    expect(await db.query(`SELECT DISTINCT status FROM email_outbox`)).toEqual([{ status: 'sending' }]);
    const [theirs] = takenOver;
    expect(await outbox.markSent(theirs?.id ?? '', theirs?.claimToken ?? '')).toBe(true);
  });

  it('a sender told its job lock is lost stops after the send in flight and gives the rest back at once', async () => {
    await queue(3, 'lock');
    smtp.answerDelayMs = 60_000;
    const lock = new AbortController();
    const first = deliverOutbox({ outbox, mailer, progress }, { signal: lock.signal });
    await expect.poll(() => smtp.inFlight).toBe(1);

    lock.abort();
    smtp.answerDelayMs = 0;
    const counts = await first;

    expect(counts).toEqual({ sent: 1, failed: 0 });
    expect(smtp.mails).toHaveLength(1);
    const rest = await db.query<{ attempts: number; due: boolean; claim_token: string | null }>(
      `SELECT attempts, next_attempt_at <= now() AS due, claim_token FROM email_outbox WHERE status <> 'sent'`,
    );
    expect(rest).toEqual([
      { attempts: 0, due: true, claim_token: null },
      { attempts: 0, due: true, claim_token: null },
    ]);
    expect(await deliverOutbox({ outbox, mailer, progress })).toEqual({ sent: 2, failed: 0 });
  });

  it('an e-mail sent whose mark failed is not given back early: it waits out its claim, the rest go back', async () => {
    await queue(2, 'unmarked');
    let fail = true;
    const flaky = Object.assign(Object.create(outbox) as SqlOutboxRepository, {
      markSent: async (id: string, token: string) => {
        if (!fail) return outbox.markSent(id, token);
        fail = false;
        throw new Error('connection reset while marking');
      },
    });

    await expect(deliverOutbox({ outbox: flaky, mailer, progress })).rejects.toThrow('connection reset');
    const again = await deliverOutbox({ outbox, mailer, progress });

    expect(smtp.mails).toHaveLength(2); // one each: the unmarked one is not sent again while its claim lasts
    expect(again).toEqual({ sent: 1, failed: 0 });
    expect(await db.query(`SELECT status FROM email_outbox ORDER BY status`)).toEqual([
      { status: 'sending' },
      { status: 'sent' },
    ]);
  });
});

describe('SmtpMailer bounds every send', () => {
  let server: Server;
  let url: string;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts connections and never says a word: no greeting, no answer.
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `smtp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('a server that never greets fails the send within the greeting timeout', async () => {
    const mailer = new SmtpMailer(url, 'box-office@example.test', { greetingTimeoutMs: 200 });

    await expect(
      mailer.send({ to: 'fan@example.test', subject: 's', text: 't', html: '<p>t</p>' }),
    ).rejects.toThrow(/greeting/i);
    mailer.close();
  });

  it('a server that stops answering mid-message fails the send within the socket timeout', async () => {
    const smtp = await startSmtpServer();
    smtp.answerDelayMs = 60_000;
    const mailer = new SmtpMailer(smtp.url, 'box-office@example.test', { socketTimeoutMs: 300 });
    try {
      await expect(
        mailer.send({ to: 'fan@example.test', subject: 's', text: 't', html: '<p>t</p>' }),
      ).rejects.toThrow(/timeout/i);
    } finally {
      mailer.close();
      smtp.answerDelayMs = 0;
      await smtp.close();
    }
  });

  it('by default no send can outlast a third of the outbox claim without making progress', () => {
    const mailer = new SmtpMailer(url, 'box-office@example.test');

    expect(mailer.timeouts.connectionTimeoutMs).toBeLessThanOrEqual(40_000);
    expect(mailer.timeouts.greetingTimeoutMs).toBeLessThanOrEqual(40_000);
    expect(mailer.timeouts.socketTimeoutMs).toBeLessThanOrEqual(40_000);
    mailer.close();
  });
});

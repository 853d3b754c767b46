import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../functions/adapters/redis/redis-keys';
import { type JobReport, runJob } from '../../functions/core/jobs.service';
import type { Concert } from '../../functions/core/model';
import type { RealtimeMessage } from '../../functions/core/realtime';
import { SCHEDULE } from '../../functions/core/schedule';
import { startScheduler } from '../../local/scheduler';
import { expectNoOversell } from '../support/invariants';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { createCustomers, startTestService, type TestService } from '../support/test-service';

const HOUR = 3_600_000;

describe('scheduled jobs on PostgreSQL, Redis and a real SMTP server', () => {
  const prefix = testRedisPrefix();
  let t: TestService;
  let smtp: TestSmtpServer;
  let admin: string;
  const published: RealtimeMessage[] = [];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestService({
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'box-office@example.test',
      SCHEDULE_TIMEZONE: 'Asia/Singapore',
      BACKUP_DIR: await mkdtemp(join(tmpdir(), 'cts-backups-')),
      TICKETS_PER_USER_LIMIT: '0',
      HOLDS_PER_USER_LIMIT: '0',
      REALTIME_COALESCE_MS: '0',
    });
    admin = await t.api.adminToken();
    await t.service.services.realtime.bus.subscribe((message) => published.push(message));
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
    await dropRedisPrefix(prefix);
  });

  const db = () => t.service.services.db;
  const run = (job: Parameters<typeof runJob>[1], options = {}) =>
    runJob(t.service.services.jobs, job, options);
  const twiceAtOnce = (job: Parameters<typeof runJob>[1], options = {}) =>
    Promise.all([run(job, options), run(job, options)]);
  const reserve = async (token: string, concert: Concert, quantity = 1, tier = 0) => {
    const response = await t.api.request('POST', '/api/reservations', {
      token,
      body: { concertId: concert.id, tierId: concert.tiers[tier]?.id, quantity },
    });
    expect(response.status).toBe(201);
    return response.body.reservation.id as string;
  };
  const confirm = async (token: string, id: string) =>
    expect((await t.api.request('POST', `/api/reservations/${id}/confirm`, { token })).status).toBe(200);
  const concertStartingIn = (ms: number, title: string) =>
    t.api.createConcert(admin, [{ name: 'GA', priceCents: 2500, capacity: 50 }], {
      title,
      startsAt: new Date(Date.now() + ms).toISOString(),
    });

  it('expire-holds: expires overdue holds once, returns their tickets, publishes and notifies', async () => {
    const [fan] = await createCustomers(t.service, 1);
    const concert = await concertStartingIn(72 * HOUR, 'Expiry Night');
    const overdue = await reserve(fan as string, concert, 3);
    const live = await reserve(fan as string, concert, 2);
    await db().query(`UPDATE reservations SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      overdue,
    ]);
    published.length = 0;

    const reports = await twiceAtOnce('expire-holds');

    expect(reports.reduce((sum, r) => sum + (r.counts.holds ?? 0), 0)).toBe(1);
    expect(reports.reduce((sum, r) => sum + (r.counts.tickets ?? 0), 0)).toBe(3);
    const statuses = await db().query(
      'SELECT id, status FROM reservations WHERE id IN ($1, $2) ORDER BY status',
      [overdue, live],
    );
    expect(statuses).toEqual([
      { id: overdue, status: 'expired' },
      { id: live, status: 'held' },
    ]);
    const [tier] = await db().query('SELECT available FROM ticket_tiers WHERE id = $1', [
      concert.tiers[0]?.id ?? null,
    ]);
    expect(tier?.available).toBe(48);
    await t.service.services.events.settled();
    await expect
      .poll(() => published)
      .toContainEqual(
        expect.objectContaining({ type: 'concert-update', concertId: concert.id, availableTickets: 48 }),
      );
    await expect
      .poll(() => published)
      .toContainEqual(
        expect.objectContaining({
          type: 'admin-notification',
          event: 'holds-expired',
          concertId: concert.id,
        }),
      );
    await expectNoOversell(db());
  });

  it('reminders: one e-mail per holder of concerts 24–48 h ahead, never two, with codes, date and venue', async () => {
    const [ann, bob, cy] = await createCustomers(t.service, 3);
    const soon = await concertStartingIn(30 * HOUR, 'Tomorrow <Live>');
    const tooSoon = await concertStartingIn(10 * HOUR, 'Tonight');
    const later = await concertStartingIn(60 * HOUR, 'Next Week');
    for (const [token, concert, quantity] of [
      [ann, soon, 2],
      [ann, soon, 1],
      [bob, soon, 1],
      [cy, tooSoon, 1],
      [cy, later, 1],
    ] as const) {
      await confirm(token as string, await reserve(token as string, concert, quantity));
    }
    await reserve(cy as string, soon, 1); // held, not confirmed: no reminder
    smtp.mails.length = 0;

    await twiceAtOnce('reminders');
    await run('reminders');

    const reminders = smtp.mails.filter((mail) => mail.subject?.includes('Tomorrow'));
    expect(reminders).toHaveLength(2);
    expect(smtp.mails).toHaveLength(2);
    const codeLines = (text = '') => text.match(/^ {2}[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/gm)?.length ?? 0;
    const annMail = reminders.find((mail) => codeLines(mail.text) === 3);
    expect(reminders.map((mail) => codeLines(mail.text)).sort()).toEqual([1, 3]);
    expect(annMail, 'ann gets one mail with her three tickets').toBeDefined();
    expect(annMail?.from?.text).toContain('box-office@example.test');
    expect(annMail?.text).toContain('Hall 1');
    expect(annMail?.html).toContain('Tomorrow &lt;Live&gt;');
    expect(annMail?.html).not.toContain('<Live>');
    const codes = await db().query(
      `SELECT t.code FROM tickets t JOIN reservations r ON r.id = t.reservation_id WHERE r.concert_id = $1 ORDER BY t.code`,
      [soon.id],
    );
    for (const { code } of codes)
      expect(reminders.some((mail) => mail.text?.includes(String(code)))).toBe(true);
    const runs = await db().query(
      `SELECT outcome, counts FROM job_runs WHERE job = 'reminders' ORDER BY started_at`,
    );
    expect(runs.length).toBe(3);
  });

  it('reminders: a refused mail is recorded and retried later with back-off, not lost', async () => {
    const [dee] = await createCustomers(t.service, 1);
    const concert = await concertStartingIn(36 * HOUR, 'Retry Rock');
    await confirm(dee as string, await reserve(dee as string, concert, 1));
    const [{ email } = { email: '' }] = (await db().query(
      `SELECT u.email FROM users u JOIN reservations r ON r.user_id = u.id WHERE r.concert_id = $1`,
      [concert.id],
    )) as Array<{ email: string }>;
    smtp.refuse.add(email);
    smtp.mails.length = 0;

    const report = await run('reminders');

    expect(report.counts.failed).toBe(1);
    const [row] = await db().query(
      `SELECT status, attempts, last_error, next_attempt_at > now() AS later FROM email_outbox WHERE recipient = $1`,
      [email],
    );
    expect(row).toMatchObject({ status: 'failed', attempts: 1, later: true });
    expect(String(row?.last_error)).toMatch(/mailbox unavailable/);

    smtp.refuse.delete(email);
    await db().query(`UPDATE email_outbox SET next_attempt_at = now() WHERE recipient = $1`, [email]);
    expect((await run('reminders')).counts.sent).toBe(1);
    expect(smtp.mails.filter((mail) => mail.subject?.includes('Retry Rock'))).toHaveLength(1);
  });

  it('daily-report: one row per concert and day, recomputed on re-run, mailed once, served to admins', async () => {
    const [eve] = await createCustomers(t.service, 1);
    const concert = await concertStartingIn(20 * 24 * HOUR, 'Report Fest');
    await confirm(eve as string, await reserve(eve as string, concert, 4));
    await reserve(eve as string, concert, 1); // held only: not sold
    const date = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Singapore' }).format(new Date());
    smtp.mails.length = 0;

    const reports: JobReport[] = await twiceAtOnce('daily-report', { date });
    await confirm(eve as string, await reserve(eve as string, concert, 1));
    await run('daily-report', { date });

    expect(reports.some((r) => r.outcome === 'succeeded')).toBe(true);
    const rows = await db().query(
      'SELECT count(*)::int AS n FROM daily_reports WHERE report_date = $1::date AND concert_id = $2',
      [date, concert.id],
    );
    expect(rows[0]?.n).toBe(1);
    const response = await t.api.request('GET', `/api/admin/reports/daily?date=${date}`, { token: admin });
    expect(response.status).toBe(200);
    const figures = response.body.report.concerts.find(
      (c: { concertId: string }) => c.concertId === concert.id,
    );
    expect(figures).toMatchObject({
      title: 'Report Fest',
      currency: 'USD',
      soldToday: 5,
      soldToDate: 5,
      revenueTodayCents: 12_500,
      capacity: 50,
      sellThrough: 0.1,
    });
    expect(response.body.report.timeZone).toBe('Asia/Singapore');
    const reportMails = smtp.mails.filter((mail) => mail.subject?.startsWith(`Daily sales report ${date}`));
    expect(reportMails).toHaveLength(1);
    expect(reportMails[0]?.to).toMatchObject({ text: expect.stringContaining('admin@example.test') });

    const customer = await t.api.register('report-peek@example.test');
    expect(
      (await t.api.request('GET', `/api/admin/reports/daily?date=${date}`, { token: customer })).status,
    ).toBe(403);
    expect(
      (await t.api.request('GET', '/api/admin/reports/daily?date=2001-01-01', { token: admin })).status,
    ).toBe(404);
    expect(
      (await t.api.request('GET', '/api/admin/reports/daily?date=yesterday', { token: admin })).status,
    ).toBe(400);
  });

  it('weekly-housekeeping: removes old expired and cancelled holds and stale connection entries only', async () => {
    const [fay] = await createCustomers(t.service, 1);
    const concert = await concertStartingIn(10 * 24 * HOUR, 'Housekeeping Hop');
    const oldExpired = await reserve(fay as string, concert);
    const oldCancelled = await reserve(fay as string, concert);
    const recent = await reserve(fay as string, concert);
    const kept = await reserve(fay as string, concert);
    await t.api.request('DELETE', `/api/reservations/${oldCancelled}`, { token: fay });
    await t.api.request('DELETE', `/api/reservations/${recent}`, { token: fay });
    await db().query(`UPDATE reservations SET expires_at = now() - interval '40 days' WHERE id = $1`, [
      oldExpired,
    ]);
    await run('expire-holds');
    await db().query(
      `UPDATE reservations SET expired_at = now() - interval '40 days', cancelled_at = now() - interval '40 days' WHERE id IN ($1, $2)`,
      [oldExpired, oldCancelled],
    );
    const { registry } = t.service.services.realtime;
    await registry.register('live-connection', { userId: null, admin: false });
    await registry.watch('live-connection', concert.id);
    // The registry's layout (sorted set scored by deadline ms): one id whose time ran out, one whose
    // deadline is still ahead but whose connection hash is gone (it died without a $disconnect).
    const redis = t.service.services.redis;
    if (!redis) throw new Error('this test needs Redis');
    const watchersKey = redisKeys(prefix).concertWatchers(concert.id);
    await redis.zadd(watchersKey, Date.now() - HOUR, 'timed-out-connection');
    await redis.zadd(watchersKey, Date.now() + HOUR, 'dead-connection');
    expect((await redis.zrange(watchersKey, 0, -1)).sort()).toEqual(
      ['dead-connection', 'live-connection', 'timed-out-connection'].sort(),
    );

    const reports = await twiceAtOnce('weekly-housekeeping');

    expect(reports.reduce((sum, r) => sum + (r.counts.reservations ?? 0), 0)).toBe(2);
    const left = await db().query('SELECT id FROM reservations WHERE id IN ($1, $2, $3, $4) ORDER BY id', [
      oldExpired,
      oldCancelled,
      recent,
      kept,
    ]);
    expect(left.map((row) => row.id).sort()).toEqual([recent, kept].sort());
    expect(await registry.watchers(concert.id)).toEqual(['live-connection']);
    expect(await redis.zrange(watchersKey, 0, -1)).toEqual(['live-connection']);
    expect(reports.reduce((sum, r) => sum + (r.counts.connections ?? 0), 0)).toBe(2);
    await expectNoOversell(db());
  });

  it('the local scheduler registers exactly the schedule table, in the configured time zone', () => {
    const scheduler = startScheduler(t.service.services);
    try {
      expect(scheduler.registered().map(({ name, cron, timeZone }) => ({ name, cron, timeZone }))).toEqual(
        SCHEDULE.map((job) => ({ name: job.name, cron: job.cron, timeZone: 'Asia/Singapore' })),
      );
      for (const job of scheduler.registered()) expect(job.nextRun).not.toBeNull();
    } finally {
      scheduler.stop();
    }
  });
});

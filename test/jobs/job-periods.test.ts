import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runJob } from '../../functions/core/jobs.service';
import type { Concert } from '../../functions/core/model';
import type { JobName } from '../../functions/core/schedule';
import { createCustomers, startTestService, type TestService } from '../support/test-service';

/**
 * DESIGN invariant 8: a job's period follows from the time it was scheduled for (or the watermark of the
 * last completed period), never from the clock when it runs. Every run here is given its scheduled time
 * and an injected clock (the moment it "actually" runs), in a zone with daylight saving: Europe/Berlin
 * moves to summer time on 2026-03-29 (02:00 → 03:00, a 23 h day) and back on 2026-10-25 (03:00 → 02:00,
 * a 25 h day). 09:00 Berlin is 08:00Z in winter, 07:00Z in summer; 23:00 Berlin is 22:00Z / 21:00Z.
 */
describe('jobs take their period from the schedule: late, doubled and skipped runs, across DST (Europe/Berlin)', () => {
  let t: TestService;
  let admin: string;
  let fan: string;

  beforeAll(async () => {
    t = await startTestService({
      SCHEDULE_TIMEZONE: 'Europe/Berlin',
      TICKETS_PER_USER_LIMIT: '0',
      HOLDS_PER_USER_LIMIT: '0',
    });
    admin = await t.api.adminToken();
    [fan] = (await createCustomers(t.service, 1)) as [string];
  });
  afterAll(async () => {
    await t?.close();
  });
  // Each test starts from "no period completed yet", as a fresh installation would.
  beforeEach(async () => {
    await db().query('DELETE FROM job_watermarks');
  });

  const db = () => t.service.services.db;
  /** Runs `job` scheduled at `scheduledAt` while the clock reads `clock` (default: on time). */
  const runAt = (job: JobName, scheduledAt: string, clock = scheduledAt) =>
    runJob({ ...t.service.services.jobs, now: () => new Date(clock) }, job, {
      scheduledAt: new Date(scheduledAt),
    });

  const concert = async (title: string): Promise<Concert> => {
    const created = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 100 }], {
      title,
      startsAt: new Date(Date.now() + 90 * 86_400_000).toISOString(),
    });
    // Reports list the concerts that existed on the day reported.
    await db().query(`UPDATE concerts SET created_at = '2026-01-01T00:00:00Z' WHERE id = $1`, [created.id]);
    return created;
  };
  /** One confirmed ticket for the fan, confirmed at `confirmedAt` (ISO). */
  const sale = async (of: Concert, confirmedAt: string) => {
    const held = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: of.id, tierId: of.tiers[0]?.id, quantity: 1 },
    });
    expect(held.status).toBe(201);
    const id = held.body.reservation.id as string;
    expect((await t.api.request('POST', `/api/reservations/${id}/confirm`, { token: fan })).status).toBe(200);
    await db().query('UPDATE reservations SET confirmed_at = $2::timestamptz WHERE id = $1', [
      id,
      confirmedAt,
    ]);
  };
  /** A concert starting at `startsAt` (ISO) with one ticket holder. */
  const concertAt = async (title: string, startsAt: string) => {
    const created = await concert(title);
    await sale(created, '2026-01-02T12:00:00Z');
    await db().query('UPDATE concerts SET starts_at = $2::timestamptz WHERE id = $1', [created.id, startsAt]);
    return created;
  };
  const reminders = async (of: Concert) =>
    (
      await db().query(`SELECT count(*)::int AS n FROM email_outbox WHERE dedupe_key LIKE $1`, [
        `reminder:${of.id}:%`,
      ])
    )[0]?.n;
  const report = (date: string) => t.service.services.reports.find(date);
  const soldToday = async (date: string, of: Concert) =>
    (await report(date))?.concerts.find((figures) => figures.concertId === of.id)?.soldToday;
  const reportMails = async (date: string) =>
    (
      await db().query(`SELECT count(*)::int AS n FROM email_outbox WHERE dedupe_key LIKE $1`, [
        `daily-report:${date}:%`,
      ])
    )[0]?.n;

  describe('reminders: a run scheduled at S covers concerts starting in [S + 24 h, S + 48 h)', () => {
    it('a run 50 minutes late still reminds the concert starting 20 minutes into its window, and not one past it', async () => {
      // 2026-06-10 09:00 Berlin (summer) = 07:00Z; the run happens at 07:50Z.
      const early = await concertAt('Late Run Early Show', '2026-06-11T07:20:00Z');
      const beyond = await concertAt('Late Run Beyond Window', '2026-06-12T07:10:00Z');

      await runAt('reminders', '2026-06-10T07:00:00Z', '2026-06-10T07:50:00Z');

      expect(await reminders(early)).toBe(1);
      expect(await reminders(beyond)).toBe(0);
    });

    it('a doubled run, concurrent and again later, mails each holder once', async () => {
      const show = await concertAt('Doubled Reminder', '2026-06-16T10:00:00Z');

      await Promise.all([
        runAt('reminders', '2026-06-15T07:00:00Z'),
        runAt('reminders', '2026-06-15T07:00:00Z', '2026-06-15T07:00:02Z'),
      ]);
      await runAt('reminders', '2026-06-15T07:00:00Z', '2026-06-15T09:30:00Z');

      expect(await reminders(show)).toBe(1);
    });

    it('a skipped day is caught up by the next run: the concert the missing run covered is reminded once', async () => {
      const missed = await concertAt('Skipped Day Show', '2026-07-03T08:00:00Z');

      await runAt('reminders', '2026-07-01T07:00:00Z');
      // 2026-07-02 07:00Z never runs.
      await runAt('reminders', '2026-07-03T07:00:00Z');
      await runAt('reminders', '2026-07-04T07:00:00Z');

      expect(await reminders(missed)).toBe(1);
    });

    it('autumn DST change (2026-10-25): the hour the 09:00 run moves by is covered, no gap', async () => {
      // 2026-10-24 09:00 CEST = 07:00Z covers to 10-26 07:00Z; 2026-10-25 09:00 CET = 08:00Z covers from 10-26 08:00Z.
      const inTheGap = await concertAt('Autumn Gap Show', '2026-10-26T07:30:00Z');

      await runAt('reminders', '2026-10-24T07:00:00Z');
      await runAt('reminders', '2026-10-25T08:00:00Z');

      expect(await reminders(inTheGap)).toBe(1);
    });

    it('spring DST change (2026-03-29): the hour both runs cover is mailed once, the hours either side too', async () => {
      // 2026-03-28 09:00 CET = 08:00Z covers [03-29 08:00Z, 03-30 08:00Z); 2026-03-29 09:00 CEST = 07:00Z covers [03-30 07:00Z, …).
      const overlap = await concertAt('Spring Overlap Show', '2026-03-30T07:30:00Z');
      const before = await concertAt('Spring Before Show', '2026-03-30T06:30:00Z');
      const after = await concertAt('Spring After Show', '2026-03-30T08:30:00Z');

      await runAt('reminders', '2026-03-28T08:00:00Z');
      await runAt('reminders', '2026-03-29T07:00:00Z');

      expect([await reminders(before), await reminders(overlap), await reminders(after)]).toEqual([1, 1, 1]);
    });
  });

  describe('daily-report: a run scheduled on local day D stores D, and D ends up complete', () => {
    it('a run that starts at 00:20 the next day (late) stores the scheduled day, final, not the new day', async () => {
      const show = await concert('Late Report Show');
      await sale(show, '2026-06-10T10:00:00Z');

      // Scheduled 2026-06-10 23:00 CEST (21:00Z), runs 2026-06-11 00:20 CEST.
      await runAt('daily-report', '2026-06-10T21:00:00Z', '2026-06-10T22:20:00Z');

      expect(await report('2026-06-10')).toMatchObject({ date: '2026-06-10', final: true });
      expect(await soldToday('2026-06-10', show)).toBe(1);
      expect(await report('2026-06-11')).toBeNull();
      expect(await reportMails('2026-06-10')).toBe(1);
    });

    it("tickets sold between the 23:00 run and midnight land in that day's final report, mailed once", async () => {
      const show = await concert('Last Hour Show');
      await sale(show, '2026-06-12T10:00:00Z');
      await runAt('daily-report', '2026-06-12T21:00:00Z', '2026-06-12T21:00:10Z');
      expect(await report('2026-06-12')).toMatchObject({ final: false });

      await sale(show, '2026-06-12T21:30:00Z'); // 23:30 CEST, after the run
      await runAt('daily-report', '2026-06-13T21:00:00Z', '2026-06-13T21:00:10Z');

      expect(await report('2026-06-12')).toMatchObject({ final: true });
      expect(await soldToday('2026-06-12', show)).toBe(2);
      expect(await soldToday('2026-06-13', show)).toBe(0);
      expect(await reportMails('2026-06-12')).toBe(1);
    });

    it('a doubled late run stores and mails the day once', async () => {
      const show = await concert('Doubled Report Show');
      await sale(show, '2026-06-14T08:00:00Z');

      await Promise.all([
        runAt('daily-report', '2026-06-14T21:00:00Z', '2026-06-14T22:20:00Z'),
        runAt('daily-report', '2026-06-14T21:00:00Z', '2026-06-14T22:21:00Z'),
      ]);
      await runAt('daily-report', '2026-06-14T21:00:00Z', '2026-06-14T23:00:00Z');

      expect(await soldToday('2026-06-14', show)).toBe(1);
      expect(
        (
          await db().query(
            `SELECT count(*)::int AS n FROM daily_reports WHERE report_date = '2026-06-14' AND concert_id = $1`,
            [show.id],
          )
        )[0]?.n,
      ).toBe(1);
      expect(await reportMails('2026-06-14')).toBe(1);
    });

    it('a skipped day is stored final and mailed once by the next run, and the day before it is finalized', async () => {
      const show = await concert('Skipped Report Show');
      await sale(show, '2026-06-20T10:00:00Z');
      await runAt('daily-report', '2026-06-20T21:00:00Z', '2026-06-20T21:00:05Z');
      await sale(show, '2026-06-20T21:40:00Z'); // after the 06-20 run
      await sale(show, '2026-06-21T12:00:00Z');
      await sale(show, '2026-06-21T13:00:00Z');
      // The 06-21 run never happens.
      await runAt('daily-report', '2026-06-22T21:00:00Z', '2026-06-22T21:00:05Z');

      expect(await report('2026-06-20')).toMatchObject({ final: true });
      expect(await soldToday('2026-06-20', show)).toBe(2);
      expect(await report('2026-06-21')).toMatchObject({ final: true });
      expect(await soldToday('2026-06-21', show)).toBe(2);
      expect(await report('2026-06-22')).toMatchObject({ final: false });
      expect([await reportMails('2026-06-20'), await reportMails('2026-06-21')]).toEqual([1, 1]);
    });

    it('spring DST day (2026-03-29, 23 h): late run stores it; a sale after its 23:00 run lands in it; the next day keeps its own', async () => {
      const show = await concert('Spring Report Show');
      await sale(show, '2026-03-28T22:30:00Z'); // 03-28 23:30 CET: the day before
      await sale(show, '2026-03-28T23:30:00Z'); // 03-29 00:30 CET: in the day

      // Scheduled 03-29 23:00 CEST = 21:00Z, runs 03-30 00:20 CEST = 22:20Z.
      await runAt('daily-report', '2026-03-29T21:00:00Z', '2026-03-29T21:00:10Z');
      await sale(show, '2026-03-29T21:30:00Z'); // 03-29 23:30 CEST: in the day, after the run
      await sale(show, '2026-03-29T22:30:00Z'); // 03-30 00:30 CEST: the next day
      await runAt('daily-report', '2026-03-30T21:00:00Z', '2026-03-30T21:00:10Z');

      expect(await report('2026-03-29')).toMatchObject({ final: true });
      expect(await soldToday('2026-03-29', show)).toBe(2);
      expect(await soldToday('2026-03-30', show)).toBe(1);
      expect(await report('2026-03-28')).toMatchObject({ final: true });
      expect(await soldToday('2026-03-28', show)).toBe(1);
    });

    it('autumn DST day (2026-10-25, 25 h): a run late past midnight stores it final with all 25 hours', async () => {
      const show = await concert('Autumn Report Show');
      await sale(show, '2026-10-24T21:30:00Z'); // 10-24 23:30 CEST: the day before
      await sale(show, '2026-10-24T22:30:00Z'); // 10-25 00:30 CEST: in the day
      await sale(show, '2026-10-25T22:30:00Z'); // 10-25 23:30 CET: in the day
      await sale(show, '2026-10-25T23:30:00Z'); // 10-26 00:30 CET: the next day

      // Scheduled 10-25 23:00 CET = 22:00Z, runs 10-26 00:20 CET = 23:20Z.
      await runAt('daily-report', '2026-10-25T22:00:00Z', '2026-10-25T23:20:00Z');

      expect(await report('2026-10-25')).toMatchObject({ final: true });
      expect(await soldToday('2026-10-25', show)).toBe(2);
      expect(await report('2026-10-26')).toBeNull();
    });
  });

  it('weekly-housekeeping counts retention back from its scheduled time, not from when it runs', async () => {
    const show = await concert('Housekeeping Period Show');
    const held = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: show.id, tierId: show.tiers[0]?.id, quantity: 1 },
    });
    const id = held.body.reservation.id as string;
    await t.api.request('DELETE', `/api/reservations/${id}`, { token: fan });
    // Cancelled 20 days before now: younger than 30 days at any recent scheduled time, older at one 15 days on.
    await db().query(`UPDATE reservations SET cancelled_at = now() - interval '20 days' WHERE id = $1`, [id]);
    const inFifteenDays = new Date(Date.now() + 15 * 86_400_000).toISOString();

    await runAt('weekly-housekeeping', new Date().toISOString());
    expect(await db().query('SELECT id FROM reservations WHERE id = $1', [id])).toHaveLength(1);
    await runAt('weekly-housekeeping', inFifteenDays);
    expect(await db().query('SELECT id FROM reservations WHERE id = $1', [id])).toHaveLength(0);
  });
});

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../functions/core/jobs.service';
import { rawClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

/** Check-in at the door (issue 21, API.md "Waiting list and check-in"), over real HTTP on PostgreSQL. */
describe('POST /api/check-ins and the door routes', () => {
  let t: TestService;
  let admin: string;
  let staff: string;
  let fan: string;
  let concert: { id: string; tiers: Array<{ id: string }> };
  let other: { id: string; tiers: Array<{ id: string }> };
  let ga: string;
  let vip: string;

  beforeAll(async () => {
    t = await startTestService({ REALTIME_COALESCE_MS: '20', TICKETS_PER_USER_LIMIT: '0' });
    admin = await t.api.adminToken();
    const made = await t.api.request('POST', '/api/admin/users', {
      token: admin,
      body: { email: 'door@example.test', password: 'door-password-1', name: 'Door One', role: 'staff' },
    });
    expect(made.status).toBe(201);
    expect(made.body.user).toMatchObject({ email: 'door@example.test', name: 'Door One', role: 'staff' });
    staff = await t.api.login('door@example.test', 'door-password-1');
    fan = await t.api.register('fan@example.test', 'password-123', 'Jane Doe');
    concert = await t.api.createConcert(admin, [
      { name: 'GA', priceCents: 1000, capacity: 20 },
      { name: 'VIP', priceCents: 5000, capacity: 5 },
    ]);
    other = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 5 }]);
    ga = concert.tiers[0]?.id ?? '';
    vip = concert.tiers[1]?.id ?? '';
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Confirmed tickets' codes for the fan. */
  const buy = async (concertId: string, tierId: string, quantity: number): Promise<string[]> => {
    const hold = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId, tierId, quantity },
    });
    expect(hold.status).toBe(201);
    const confirmed = await t.api.request('POST', `/api/reservations/${hold.body.reservation.id}/confirm`, {
      token: fan,
    });
    expect(confirmed.status).toBe(200);
    return confirmed.body.tickets.map((ticket: { code: string }) => ticket.code);
  };
  const scan = (body: Record<string, unknown>, token = staff) =>
    t.api.request('POST', '/api/check-ins', { token, body });

  it('admits the first scan with tier and holder, answers a repeat from the same device the same, refuses another device', async () => {
    const [code = ''] = await buy(concert.id, ga, 1);
    const first = await scan({ code, deviceId: 'door-a', concertId: concert.id });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      result: 'admitted',
      ticket: { code, tierId: ga, holderName: 'Jane Doe' },
      deviceId: 'door-a',
    });
    const repeat = await scan({ code, deviceId: 'door-a', concertId: concert.id });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    const elsewhere = await scan({ code, deviceId: 'door-b' });
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.body.error).toMatchObject({
      code: 'ALREADY_CHECKED_IN',
      details: { at: first.body.at, deviceId: 'door-a' },
    });
  });

  it("refuses another staff member who re-sends the winner's device id from the 409 (a repeat is device AND account)", async () => {
    const made = await t.api.request('POST', '/api/admin/users', {
      token: admin,
      body: { email: 'door2@example.test', password: 'door-password-2', name: 'Door Two', role: 'staff' },
    });
    expect(made.status).toBe(201);
    const second = await t.api.login('door2@example.test', 'door-password-2');
    const [code = ''] = await buy(concert.id, ga, 1);
    const first = await scan({ code, deviceId: 'north-door-phone-1' });
    expect(first.status).toBe(200);
    const refused = await scan({ code, deviceId: 'south-door' }, second);
    expect(refused.status).toBe(409);
    const winner = refused.body.error.details.deviceId;
    expect(winner).toBe('north-door-phone-1');
    const borrowed = await scan({ code, deviceId: winner }, second);
    expect(borrowed.status).toBe(409);
    expect(borrowed.body.error).toMatchObject({
      code: 'ALREADY_CHECKED_IN',
      details: { at: first.body.at, deviceId: winner },
    });
    const repeat = await scan({ code, deviceId: 'north-door-phone-1' });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
  });

  it('reads a typed code however it is spaced or cased, with O, I and L read as digits', async () => {
    const [code = ''] = await buy(concert.id, ga, 1);
    const typed = code.toLowerCase().replaceAll('-', ' ').replaceAll('0', 'o').replaceAll('1', 'l');
    const answer = await scan({ code: typed, deviceId: 'door-typed' });
    expect(answer.status).toBe(200);
    expect(answer.body.ticket.code).toBe(code);
  });

  it('refuses unknown codes (404), tickets of another concert and of cancelled concerts (409), each with its code', async () => {
    const [code = ''] = await buy(concert.id, vip, 1);
    const [elsewhere = ''] = await buy(other.id, other.tiers[0]?.id ?? '', 1);
    expect((await scan({ code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', deviceId: 'd' })).body.error.code).toBe(
      'TICKET_NOT_FOUND',
    );
    expect((await scan({ code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', deviceId: 'd' })).status).toBe(404);
    const wrong = await scan({ code, deviceId: 'd', concertId: other.id });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error).toMatchObject({
      code: 'TICKET_NOT_VALID',
      details: { reason: 'other-concert' },
    });
    const cancelled = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
    const [gone = ''] = await buy(cancelled.id, cancelled.tiers[0]?.id ?? '', 1);
    await t.api.request('PATCH', `/api/concerts/${cancelled.id}`, {
      token: admin,
      body: { status: 'cancelled' },
    });
    const refused = await scan({ code: gone, deviceId: 'd' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('TICKET_NOT_VALID');
    // Another concert's ticket without a concertId is that concert's business: admitted.
    expect((await scan({ code: elsewhere, deviceId: 'd' })).status).toBe(200);
  });

  it('admits exactly once when two devices scan one ticket at the same time, over and over', async () => {
    const codes = await buy(concert.id, ga, 5);
    for (const code of codes) {
      const answers = await Promise.all(
        ['left-door', 'right-door', 'left-door', 'right-door'].map((deviceId) => scan({ code, deviceId })),
      );
      const admitted = answers.filter((answer) => answer.status === 200);
      const winner = admitted[0]?.body.deviceId;
      // The winning device may have sent twice: both of its answers admit; the other device's are refused.
      expect(new Set(admitted.map((answer) => answer.body.deviceId))).toEqual(new Set([winner]));
      for (const answer of answers.filter((a) => a.status !== 200)) {
        expect(answer.status).toBe(409);
        expect(answer.body.error.details.deviceId).toBe(winner);
      }
    }
    const rows = await t.service.services.db.query(
      `SELECT count(*)::integer AS n FROM check_ins WHERE ticket_id IN (SELECT id FROM tickets WHERE code = ANY(string_to_array($1, ',')))`,
      [codes.join(',')],
    );
    expect(rows[0]?.n).toBe(5);
  });

  it("keeps an offline scan's own time, and refuses one from the future beyond five minutes", async () => {
    const [early = '', late = ''] = await buy(concert.id, vip, 2);
    const scannedAt = new Date(Date.now() - 20 * 60_000).toISOString();
    const synced = await scan({ code: early, deviceId: 'offline-1', scannedAt });
    expect(synced.status).toBe(200);
    expect(synced.body.at).toBe(scannedAt);
    const future = await scan({
      code: late,
      deviceId: 'offline-1',
      scannedAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    });
    expect(future.status).toBe(400);
    expect(future.body.error.code).toBe('VALIDATION_FAILED');
    const slightlyAhead = await scan({
      code: late,
      deviceId: 'offline-1',
      scannedAt: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(slightlyAhead.status).toBe(200);
    expect(Date.parse(slightlyAhead.body.at)).toBeLessThanOrEqual(Date.now());
  });

  it('counts checked in vs sold per tier, for staff and admins', async () => {
    const fresh = await t.api.createConcert(admin, [
      { name: 'GA', priceCents: 1000, capacity: 10 },
      { name: 'VIP', priceCents: 5000, capacity: 5 },
    ]);
    const [freshGa = '', freshVip = ''] = fresh.tiers.map((tier) => tier.id);
    const gaCodes = await buy(fresh.id, freshGa, 3);
    await buy(fresh.id, freshVip, 2);
    for (const code of gaCodes.slice(0, 2))
      expect((await scan({ code, deviceId: 'count' })).status).toBe(200);
    for (const token of [staff, admin]) {
      const counts = await t.api.request('GET', `/api/admin/concerts/${fresh.id}/check-ins`, { token });
      expect(counts.status).toBe(200);
      expect(counts.body).toEqual({
        checkedIn: 2,
        sold: 5,
        byTier: [
          { tierId: freshGa, checkedIn: 2, sold: 3 },
          { tierId: freshVip, checkedIn: 0, sold: 2 },
        ],
      });
    }
    expect(
      (
        await t.api.request('GET', '/api/admin/concerts/00000000-0000-4000-8000-000000000000/check-ins', {
          token: staff,
        })
      ).status,
    ).toBe(404);

    const today = new Date().toISOString().slice(0, 10);
    await runJob(t.service.services.jobs, 'daily-report', { date: today });
    const report = await t.api.request('GET', `/api/admin/reports/daily?date=${today}`, { token: admin });
    expect(
      report.body.report.concerts.find((c: { concertId: string }) => c.concertId === fresh.id),
    ).toMatchObject({ soldToDate: 5, checkedIn: 2, attendance: 0.4 });
  });

  it('serves the hashed list of valid codes for scanning offline, never the codes', async () => {
    const fresh = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 10 }]);
    const tier = fresh.tiers[0]?.id ?? '';
    const codes = await buy(fresh.id, tier, 3);
    expect((await scan({ code: codes[0], deviceId: 'list' })).status).toBe(200);
    const list = await t.api.request('GET', `/api/concerts/${fresh.id}/ticket-codes`, { token: staff });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ concertId: fresh.id, algorithm: 'SHA-256' });
    const sha = (code: string) => createHash('sha256').update(code).digest('hex');
    expect(
      list.body.codes.map((c: { hash: string; checkedIn: boolean }) => [c.hash, c.checkedIn]).sort(),
    ).toEqual(codes.map((code, i) => [sha(code), i === 0]).sort());
    expect(list.body.codes[0]).toMatchObject({ tierId: tier, holderInitials: 'J. D.' });
    for (const code of codes) expect(JSON.stringify(list.body)).not.toContain(code);
  });

  it('gives staff the door and nothing of the organiser', async () => {
    const [code = ''] = await buy(concert.id, ga, 1);
    expect((await scan({ code, deviceId: 'fan-phone' }, fan)).status).toBe(403);
    expect(
      (await t.api.request('GET', `/api/concerts/${concert.id}/ticket-codes`, { token: fan })).status,
    ).toBe(403);
    const organiserOnly: Array<[string, string, unknown?]> = [
      ['POST', '/api/concerts', { title: 'x' }],
      ['PATCH', `/api/concerts/${concert.id}`, { title: 'x' }],
      ['GET', '/api/admin/sales'],
      ['GET', '/api/admin/reports/daily'],
      [
        'POST',
        '/api/admin/users',
        { email: 'x@example.test', password: 'long enough', name: 'X', role: 'admin' },
      ],
    ];
    for (const [method, path, body] of organiserOnly) {
      const answer = await t.api.request(method, path, { token: staff, ...(body ? { body } : {}) });
      expect(answer.status, `${method} ${path}`).toBe(403);
    }
    const socket = await rawClient(t.service.url, staff);
    socket.send({ action: 'join-admin' });
    expect(await socket.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'FORBIDDEN' });
    socket.close();
  });

  it('tells the organiser feed of each first admission (checked-in), not of repeats', async () => {
    const feed = await rawClient(t.service.url, admin);
    feed.send({ action: 'join-admin' });
    // join-admin has no acknowledgement: wait for a notice only an admin gets.
    await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1, capacity: 1 }]);
    await feed.inbox.next((m) => m.type === 'admin-notification' && m.event === 'concert-created');
    const [code = ''] = await buy(concert.id, vip, 1);
    expect((await scan({ code, deviceId: 'feed' })).status).toBe(200);
    expect((await scan({ code, deviceId: 'feed' })).status).toBe(200);
    await feed.inbox.next(
      (m) => m.type === 'admin-notification' && m.event === 'checked-in' && m.tierId === vip,
    );
    const [marker = ''] = await buy(concert.id, ga, 1);
    expect((await scan({ code: marker, deviceId: 'feed' })).status).toBe(200);
    await feed.inbox.next((m) => m.event === 'checked-in' && m.tierId === ga);
    expect(feed.inbox.messages.filter((m) => m.event === 'checked-in' && m.tierId === vip)).toHaveLength(1);
    feed.close();
  });

  it('refuses an existing e-mail in the console form and a malformed account, changing nothing', async () => {
    const taken = await t.api.request('POST', '/api/admin/users', {
      token: admin,
      body: { email: 'door@example.test', password: 'another-pass', name: 'Other', role: 'admin' },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('EMAIL_TAKEN');
    expect(await t.api.login('door@example.test', 'door-password-1')).toBeTruthy();
    const bad = await t.api.request('POST', '/api/admin/users', {
      token: admin,
      body: { email: 'new@example.test', password: 'long enough', name: 'N', role: 'boss' },
    });
    expect(bad.status).toBe(400);
  });
});

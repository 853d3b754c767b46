import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../../functions/handlers/http/routes';
import {
  type ApiResponse,
  createCustomers,
  startTestService,
  TEST_ADMIN,
  type TestService,
} from '../support/test-service';

/**
 * DESIGN invariant 6 and the contract's "any refused request (4xx) changes nothing": for every route that
 * mutates, each refusal it can give is provoked and every table is compared, row by row, before and after.
 * The cases are keyed by the route table, so a new mutating route without refusal cases fails here.
 */
interface RefusalCase {
  name: string;
  status: number;
  code?: string;
  send: () => Promise<ApiResponse>;
}

describe('a refused request changes nothing, on every mutating route (issue 14 item 1)', () => {
  let t: TestService;
  const cases = new Map<string, RefusalCase[]>();
  const key = (method: string, path: string) => `${method} ${path}`;

  beforeAll(async () => {
    t = await startTestService({ TICKETS_PER_USER_LIMIT: '4', REALTIME_COALESCE_MS: '20' });
    const api = t.api;
    const db = t.service.services.db;
    const admin = await api.adminToken();
    const [fan, other] = await createCustomers(t.service, 2);
    if (!fan || !other) throw new Error('no customers');

    const concert = await api.createConcert(admin, [
      { name: 'A', priceCents: 1000, capacity: 10 },
      { name: 'B', priceCents: 500, capacity: 2 },
      { name: 'Gone', priceCents: 100, capacity: 1 },
      { name: 'Lapsed', priceCents: 100, capacity: 5 },
    ]);
    const [tierA, tierB, tierGone, tierLapsed] = concert.tiers.map((tier) => tier.id);
    const another = await api.createConcert(admin, [{ name: 'Elsewhere', priceCents: 100, capacity: 5 }]);
    const foreignTier = another.tiers[0]?.id;
    const paused = await api.createConcert(admin, [{ name: 'P', priceCents: 100, capacity: 5 }]);
    const cancelled = await api.createConcert(admin, [{ name: 'C', priceCents: 100, capacity: 5 }]);
    const wide = await api.createConcert(
      admin,
      Array.from({ length: 20 }, (_, i) => ({ name: `T${i}`, priceCents: 100, capacity: 1 })),
    );
    const grow = (from: number) =>
      Array.from({ length: 20 }, (_, i) => ({ name: `T${from + i}`, priceCents: 100, capacity: 1 }));
    expect(
      (await api.request('PATCH', `/api/concerts/${wide.id}`, { token: admin, body: { tiers: grow(20) } }))
        .status,
    ).toBe(200);

    const hold = async (
      token: string,
      concertId: string,
      tierId: string | undefined,
      quantity: number,
      idem?: string,
    ) => {
      const response = await api.request('POST', '/api/reservations', {
        token,
        body: { concertId, tierId, quantity },
        ...(idem ? { headers: { 'idempotency-key': idem } } : {}),
      });
      if (response.status !== 201) throw new Error(`hold failed: ${JSON.stringify(response.body)}`);
      return response.body.reservation.id as string;
    };
    const keyed = await hold(fan, concert.id, tierA, 2, 'refusal-key');
    const sold = await hold(other, concert.id, tierB, 1);
    await api.request('POST', `/api/reservations/${sold}/confirm`, { token: other });
    await hold(other, concert.id, tierGone, 1);
    const lapsed = await hold(other, concert.id, tierLapsed, 1);
    await db.query(`UPDATE reservations SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      lapsed,
    ]);
    const dropped = await hold(other, concert.id, tierB, 1);
    await api.request('DELETE', `/api/reservations/${dropped}`, { token: other });
    const onPaused = await hold(other, paused.id, paused.tiers[0]?.id, 1);
    await api.request('PATCH', `/api/concerts/${paused.id}`, { token: admin, body: { status: 'paused' } });
    await api.request('PATCH', `/api/concerts/${cancelled.id}`, {
      token: admin,
      body: { status: 'cancelled' },
    });

    // Check-in at the door: a staff account, a confirmed ticket already let in by one device.
    const door = {
      email: 'refusal-door@example.test',
      password: 'door-password',
      name: 'Door',
      role: 'staff',
    };
    expect((await api.request('POST', '/api/admin/users', { token: admin, body: door })).status).toBe(201);
    const staff = await api.login(door.email, door.password);
    const [soldTicket] = await db.query('SELECT code FROM tickets WHERE reservation_id = $1', [sold]);
    const admittedCode = String(soldTicket?.code);
    expect(
      (
        await api.request('POST', '/api/check-ins', {
          token: staff,
          body: { code: admittedCode, deviceId: 'door-a' },
        })
      ).status,
    ).toBe(200);

    const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const post = (path: string, body: unknown, token?: string, headers?: Record<string, string>) => () =>
      api.request('POST', path, { body, ...(token ? { token } : {}), ...(headers ? { headers } : {}) });
    const patch =
      (id: string, body: unknown, token: string | null = admin) =>
      () =>
        api.request('PATCH', `/api/concerts/${id}`, { body, ...(token ? { token } : {}) });
    const confirm = (id: string, token?: string) => () =>
      api.request('POST', `/api/reservations/${id}/confirm`, token ? { token } : {});
    const cancel = (id: string, token?: string) => () =>
      api.request('DELETE', `/api/reservations/${id}`, token ? { token } : {});
    const goodConcert = {
      title: 'New',
      artist: 'X',
      venue: 'Y',
      startsAt: later,
      tiers: [{ name: 'GA', priceCents: 100, capacity: 5 }],
    };
    const reserve = (body: unknown, headers?: Record<string, string>) =>
      post('/api/reservations', body, fan, headers);

    cases.set(key('POST', '/api/auth/register'), [
      {
        name: 'malformed body',
        status: 400,
        code: 'VALIDATION_FAILED',
        send: post('/api/auth/register', { email: 'x' }),
      },
      {
        name: 'email taken',
        status: 409,
        code: 'EMAIL_TAKEN',
        send: post('/api/auth/register', {
          email: TEST_ADMIN.email,
          password: 'password-123',
          name: 'Again',
        }),
      },
    ]);
    cases.set(key('POST', '/api/auth/login'), [
      { name: 'malformed body', status: 400, send: post('/api/auth/login', { email: 1 }) },
      {
        name: 'wrong password',
        status: 401,
        code: 'INVALID_CREDENTIALS',
        send: post('/api/auth/login', { email: TEST_ADMIN.email, password: 'not-the-password' }),
      },
    ]);
    cases.set(key('POST', '/api/concerts'), [
      { name: 'no token', status: 401, send: post('/api/concerts', goodConcert) },
      { name: 'not an admin', status: 403, send: post('/api/concerts', goodConcert, fan) },
      {
        name: 'malformed body',
        status: 400,
        send: post('/api/concerts', { ...goodConcert, tiers: [] }, admin),
      },
      {
        name: 'duplicate tier names',
        status: 400,
        code: 'VALIDATION_FAILED',
        send: post(
          '/api/concerts',
          { ...goodConcert, tiers: [goodConcert.tiers[0], goodConcert.tiers[0]] },
          admin,
        ),
      },
      {
        name: 'year 0000',
        status: 400,
        code: 'VALIDATION_FAILED',
        send: post('/api/concerts', { ...goodConcert, startsAt: '0000-01-01T00:00:00Z' }, admin),
      },
    ]);
    cases.set(key('PATCH', '/api/concerts/{id}'), [
      { name: 'no token', status: 401, send: patch(concert.id, { title: 'New' }, null) },
      { name: 'not an admin', status: 403, send: patch(concert.id, { title: 'New' }, fan) },
      {
        name: 'unknown concert',
        status: 404,
        send: patch('00000000-0000-4000-8000-000000000000', { title: 'New' }),
      },
      { name: 'nothing to change', status: 400, send: patch(concert.id, {}) },
      {
        name: 'the issue: a tier of another concert after real changes',
        status: 400,
        code: 'VALIDATION_FAILED',
        send: patch(concert.id, {
          title: 'New',
          startsAt: later,
          tiers: [
            { id: tierA, capacity: 500 },
            { id: foreignTier, name: 'x' },
          ],
        }),
      },
      {
        name: 'capacity below booked after real changes',
        status: 409,
        code: 'CAPACITY_BELOW_BOOKED',
        send: patch(concert.id, {
          title: 'New',
          tiers: [
            { id: tierA, capacity: 500 },
            { id: tierB, capacity: 0 },
          ],
        }),
      },
      {
        name: 'duplicate tier name after real changes',
        status: 400,
        code: 'VALIDATION_FAILED',
        send: patch(concert.id, {
          title: 'New',
          tiers: [
            { id: tierA, capacity: 500 },
            { id: tierB, name: 'A' },
          ],
        }),
      },
      {
        name: 'new tier named like an existing one',
        status: 400,
        code: 'VALIDATION_FAILED',
        send: patch(concert.id, { venue: 'Elsewhere', tiers: [{ name: 'B', priceCents: 1, capacity: 1 }] }),
      },
      {
        name: 'more tiers than a concert may have',
        status: 400,
        code: 'VALIDATION_FAILED',
        send: patch(wide.id, { title: 'Wider', tiers: grow(40) }),
      },
      {
        name: 'a cancelled concert back on sale',
        status: 409,
        code: 'CONCERT_NOT_ON_SALE',
        send: patch(cancelled.id, { title: 'Back', status: 'on-sale' }),
      },
      {
        name: 'a date out of range',
        status: 400,
        code: 'VALIDATION_FAILED',
        send: patch(concert.id, { title: 'New', startsAt: '0000-01-01T00:00:00Z' }),
      },
    ]);
    cases.set(key('POST', '/api/reservations'), [
      {
        name: 'no token',
        status: 401,
        send: post('/api/reservations', { concertId: concert.id, tierId: tierA, quantity: 1 }),
      },
      {
        name: 'malformed body',
        status: 400,
        send: reserve({ concertId: concert.id, tierId: tierA, quantity: 0 }),
      },
      {
        name: 'tier of another concert',
        status: 404,
        send: reserve({ concertId: concert.id, tierId: foreignTier, quantity: 1 }),
      },
      {
        name: 'sold out',
        status: 409,
        code: 'SOLD_OUT',
        send: reserve({ concertId: concert.id, tierId: tierGone, quantity: 1 }),
      },
      {
        name: 'not enough left',
        status: 409,
        code: 'INSUFFICIENT_AVAILABILITY',
        send: reserve({ concertId: concert.id, tierId: tierB, quantity: 2 }),
      },
      {
        name: 'over the per-person limit',
        status: 409,
        code: 'LIMIT_EXCEEDED',
        send: reserve({ concertId: concert.id, tierId: tierA, quantity: 3 }),
      },
      {
        name: 'paused concert',
        status: 409,
        code: 'CONCERT_NOT_ON_SALE',
        send: reserve({ concertId: paused.id, tierId: paused.tiers[0]?.id, quantity: 1 }),
      },
      {
        name: 'cancelled concert',
        status: 409,
        code: 'CONCERT_NOT_ON_SALE',
        send: reserve({ concertId: cancelled.id, tierId: cancelled.tiers[0]?.id, quantity: 1 }),
      },
      {
        name: 'idempotency key reused with another body',
        status: 422,
        code: 'IDEMPOTENCY_KEY_REUSED',
        send: reserve(
          { concertId: concert.id, tierId: tierA, quantity: 1 },
          { 'idempotency-key': 'refusal-key' },
        ),
      },
    ]);
    // Waiting room (issue 20): a queued concert, sale open, nobody admitted (paused).
    const queued = (
      await api.request('POST', '/api/concerts', {
        token: admin,
        body: {
          ...goodConcert,
          title: 'Queued',
          waitingRoom: { enabled: true, admissionPerMinute: 60, paused: true },
        },
      })
    ).body.concert;
    const queuedTier = queued.tiers[0]?.id;
    await api.request('POST', `/api/concerts/${queued.id}/queue`, { token: fan });
    const unknownConcert = '00000000-0000-4000-8000-000000000000';
    const queuePatch =
      (id: string, body: unknown, token: string | null = admin) =>
      () =>
        api.request('PATCH', `/api/admin/concerts/${id}/queue`, { body, ...(token ? { token } : {}) });
    cases.get(key('POST', '/api/reservations'))?.push(
      {
        name: 'queued concert without an admission',
        status: 403,
        code: 'ADMISSION_REQUIRED',
        send: reserve({ concertId: queued.id, tierId: queuedTier, quantity: 1 }),
      },
      {
        name: 'queued concert with a made-up admission',
        status: 403,
        code: 'ADMISSION_REQUIRED',
        send: reserve({ concertId: queued.id, tierId: queuedTier, quantity: 1, admissionToken: 'x.y.z' }),
      },
    );
    cases.set(key('POST', '/api/concerts/{id}/queue'), [
      { name: 'no token', status: 401, send: post(`/api/concerts/${queued.id}/queue`, undefined) },
      {
        name: 'unknown concert',
        status: 404,
        send: post(`/api/concerts/${unknownConcert}/queue`, undefined, fan),
      },
      {
        name: 'no waiting room',
        status: 409,
        code: 'QUEUE_NOT_OPEN',
        send: post(`/api/concerts/${concert.id}/queue`, undefined, fan),
      },
    ]);
    cases.set(key('PATCH', '/api/admin/concerts/{id}/queue'), [
      { name: 'no token', status: 401, send: queuePatch(queued.id, { paused: false }, null) },
      { name: 'not an admin', status: 403, send: queuePatch(queued.id, { paused: false }, fan) },
      { name: 'unknown concert', status: 404, send: queuePatch(unknownConcert, { paused: false }) },
      { name: 'nothing to change', status: 400, send: queuePatch(queued.id, {}) },
      { name: 'a rate of zero', status: 400, send: queuePatch(queued.id, { admissionPerMinute: 0 }) },
      {
        name: 'no waiting room',
        status: 409,
        code: 'QUEUE_NOT_OPEN',
        send: queuePatch(concert.id, { paused: true }),
      },
    ]);
    cases.set(key('POST', '/api/reservations/{id}/confirm'), [
      { name: 'no token', status: 401, send: confirm(keyed) },
      { name: "someone else's hold", status: 404, send: confirm(lapsed, fan) },
      { name: 'hold ran out', status: 409, code: 'RESERVATION_EXPIRED', send: confirm(lapsed, other) },
      { name: 'hold cancelled', status: 409, code: 'RESERVATION_CANCELLED', send: confirm(dropped, other) },
      { name: 'concert paused', status: 409, code: 'CONCERT_NOT_ON_SALE', send: confirm(onPaused, other) },
    ]);
    const scan = (body: unknown, token: string | null = staff) =>
      post('/api/check-ins', body, token ?? undefined);
    cases.set(key('POST', '/api/check-ins'), [
      { name: 'no token', status: 401, send: scan({ code: admittedCode, deviceId: 'x' }, null) },
      { name: 'a customer', status: 403, send: scan({ code: admittedCode, deviceId: 'x' }, fan) },
      { name: 'malformed body', status: 400, send: scan({ code: admittedCode }) },
      {
        name: 'unknown code',
        status: 404,
        code: 'TICKET_NOT_FOUND',
        send: scan({ code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', deviceId: 'door-b' }),
      },
      {
        name: 'ticket of another concert',
        status: 409,
        code: 'TICKET_NOT_VALID',
        send: scan({ code: admittedCode, deviceId: 'door-a', concertId: another.id }),
      },
      {
        name: 'already let in by another device',
        status: 409,
        code: 'ALREADY_CHECKED_IN',
        send: scan({ code: admittedCode, deviceId: 'door-b' }),
      },
      {
        name: 'scanned in the future',
        status: 400,
        code: 'VALIDATION_FAILED',
        send: scan({ code: admittedCode, deviceId: 'door-b', scannedAt: later }),
      },
    ]);
    const newAccount = { email: 'made@example.test', password: 'long enough', name: 'Made', role: 'staff' };
    cases.set(key('POST', '/api/admin/users'), [
      { name: 'no token', status: 401, send: post('/api/admin/users', newAccount) },
      { name: 'a customer', status: 403, send: post('/api/admin/users', newAccount, fan) },
      { name: 'door staff', status: 403, send: post('/api/admin/users', newAccount, staff) },
      {
        name: 'malformed body',
        status: 400,
        send: post('/api/admin/users', { ...newAccount, role: 'boss' }, admin),
      },
      {
        name: 'e-mail taken',
        status: 409,
        code: 'EMAIL_TAKEN',
        send: post('/api/admin/users', { ...newAccount, email: door.email }, admin),
      },
    ]);
    cases.set(key('DELETE', '/api/reservations/{id}'), [
      { name: 'no token', status: 401, send: cancel(keyed) },
      { name: "someone else's hold", status: 404, send: cancel(keyed, other) },
      { name: 'already confirmed', status: 409, send: cancel(sold, other) },
      { name: 'hold ran out', status: 409, send: cancel(lapsed, other) },
    ]);
    // Waiting list (issue 21): tierGone is sold out; the fan holds 2 of tierA (TICKETS_PER_USER_LIMIT 4).
    const waitlist = (concertId: string, tierId: string | undefined) =>
      `/api/concerts/${concertId}/tiers/${tierId}/waitlist`;
    const join = (concertId: string, tierId: string | undefined, body: unknown, token: string | null = fan) =>
      post(waitlist(concertId, tierId), body, token ?? undefined);
    cases.set(key('POST', '/api/concerts/{id}/tiers/{tierId}/waitlist'), [
      { name: 'no token', status: 401, send: join(concert.id, tierGone, { quantity: 1 }, null) },
      { name: 'malformed body', status: 400, send: join(concert.id, tierGone, { quantity: 0 }) },
      { name: 'tier of another concert', status: 404, send: join(concert.id, foreignTier, { quantity: 1 }) },
      {
        name: 'tickets can be reserved now',
        status: 409,
        code: 'TIER_AVAILABLE',
        send: join(concert.id, tierA, { quantity: 1 }),
      },
      {
        name: 'over the per-person limit (held counts)',
        status: 409,
        code: 'LIMIT_EXCEEDED',
        send: join(concert.id, tierGone, { quantity: 3 }),
      },
      {
        name: 'paused concert',
        status: 409,
        code: 'CONCERT_NOT_ON_SALE',
        send: join(paused.id, paused.tiers[0]?.id, { quantity: 1 }),
      },
    ]);
    const leave = (concertId: string, tierId: string | undefined, token?: string) => () =>
      api.request('DELETE', waitlist(concertId, tierId), token ? { token } : {});
    cases.set(key('DELETE', '/api/concerts/{id}/tiers/{tierId}/waitlist'), [
      { name: 'no token', status: 401, send: leave(concert.id, tierGone) },
      { name: 'not on the list', status: 404, send: leave(concert.id, tierGone, fan) },
      { name: 'tier of another concert', status: 404, send: leave(concert.id, foreignTier, fan) },
    ]);
    // _attack F5_: the routes with no body schema refuse a broken or non-object body as every other
    // route does (400 VALIDATION_FAILED), before doing anything: no place taken, no hold confirmed or cancelled.
    const brokenBodies = ['{"x":', 'not json', '[]', '"str"', '42'];
    const broken = (method: string, route: string, path: string, token: string) => {
      for (const rawBody of brokenBodies) {
        cases.get(key(method, route))?.push({
          name: `body ${rawBody}`,
          status: 400,
          code: 'VALIDATION_FAILED',
          send: () =>
            api.request(method, path, { token, rawBody, headers: { 'content-type': 'application/json' } }),
        });
      }
    };
    broken('POST', '/api/concerts/{id}/queue', `/api/concerts/${queued.id}/queue`, other);
    broken('POST', '/api/reservations/{id}/confirm', `/api/reservations/${keyed}/confirm`, fan);
    broken('DELETE', '/api/reservations/{id}', `/api/reservations/${keyed}`, fan);
    broken('DELETE', '/api/concerts/{id}/tiers/{tierId}/waitlist', waitlist(concert.id, tierGone), fan);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Every row of every table, as JSON text, in a stable order. */
  async function snapshot(): Promise<Record<string, string[]>> {
    const db = t.service.services.db;
    const tables = await db.query(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const all: Record<string, string[]> = {};
    for (const { table_name } of tables) {
      const name = String(table_name);
      const rows = await db.query(`SELECT to_jsonb(x)::text AS row FROM "${name}" x ORDER BY 1`);
      all[name] = rows.map((r) => String(r.row));
    }
    return all;
  }

  const mutating = HTTP_ROUTES.filter((route) => route.method !== 'GET');

  it('knows every mutating route', () => {
    expect(mutating.length).toBeGreaterThan(0);
    expect(
      mutating.map((route) => key(route.method, route.path)).filter((k) => !cases.get(k)?.length),
    ).toEqual([]);
  });

  for (const route of mutating) {
    it(`${route.method} ${route.path}: each refusal leaves every table as it was`, async () => {
      const routeCases = cases.get(key(route.method, route.path));
      expect(routeCases?.length, 'refusal cases for this route').toBeGreaterThan(0);
      for (const refusal of routeCases ?? []) {
        const before = await snapshot();
        const response = await refusal.send();
        expect(response.status, `${refusal.name}: ${JSON.stringify(response.body)}`).toBe(refusal.status);
        if (refusal.code) expect(response.body.error?.code, refusal.name).toBe(refusal.code);
        expect(await snapshot(), refusal.name).toEqual(before);
      }
    });
  }
});

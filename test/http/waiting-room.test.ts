import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoseAdmissionTokens } from '../../functions/adapters/crypto/jose-admission-tokens';
import { until } from '../support/poll';
import { createCustomers, startTestService, type TestService } from '../support/test-service';

describe('the waiting room over HTTP (issue 20)', () => {
  let t: TestService;
  let admin: string;
  let fans: string[];

  beforeAll(async () => {
    t = await startTestService({ TICKETS_PER_USER_LIMIT: '0' });
    admin = await t.api.adminToken();
    fans = await createCustomers(t.service, 8);
  });
  afterAll(async () => {
    await t?.close();
  });

  const createQueued = async (waitingRoom: Record<string, unknown>, capacity = 10, onSaleInMs = 0) => {
    const response = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'Queued',
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        ...(onSaleInMs ? { onSaleAt: new Date(Date.now() + onSaleInMs).toISOString() } : {}),
        waitingRoom,
        tiers: [{ name: 'GA', priceCents: 1000, capacity, maxPerOrder: 4 }],
      },
    });
    expect(response.status).toBe(201);
    return response.body.concert as { id: string; tiers: Array<{ id: string }>; version: number };
  };
  const join = (token: string, concertId: string) =>
    t.api.request('POST', `/api/concerts/${concertId}/queue`, { token });
  const position = (token: string, concertId: string) =>
    t.api.request('GET', `/api/concerts/${concertId}/queue`, { token });
  const reserve = (token: string, concertId: string, tierId: string, admissionToken?: string, quantity = 1) =>
    t.api.request('POST', '/api/reservations', {
      token,
      body: { concertId, tierId, quantity, ...(admissionToken ? { admissionToken } : {}) },
    });
  const admittedToken = (token: string, concertId: string) =>
    until(async () => {
      const { body } = await position(token, concertId);
      return body.queue?.status === 'admitted' ? (body.queue.admission.token as string) : undefined;
    });

  it('echoes onSaleAt and waitingRoom; before the sale: a countdown, one place per fan, no reservation', async () => {
    const concert = await createQueued({ enabled: true, admissionPerMinute: 600 }, 10, 60_000);
    const read = await t.api.request('GET', `/api/concerts/${concert.id}`);
    expect(read.body.concert.waitingRoom).toEqual({
      enabled: true,
      admissionPerMinute: 600,
      admissionWindowSeconds: 600,
      paused: false,
    });
    expect(Date.parse(read.body.concert.onSaleAt)).toBeGreaterThan(Date.now());
    const [fan = ''] = fans;
    const first = await join(fan, concert.id);
    expect(first.status).toBe(200);
    expect(first.body.queue).toEqual({ status: 'before-sale', opensAt: read.body.concert.onSaleAt });
    expect((await join(fan, concert.id)).body).toEqual(first.body);
    expect((await position(fan, concert.id)).body).toEqual(first.body);
    expect((await position(fans[1] ?? '', concert.id)).status).toBe(404);
    const refused = await reserve(fan, concert.id, concert.tiers[0]?.id ?? '');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ADMISSION_REQUIRED');
    const admin = await t.service.services.waitingRoom.deps.store.counts(concert.id);
    expect(admin).toEqual({ waiting: 1, admitted: 0 });
  });

  it('admits in order once the sale opens; the token works for its fan and concert only', async () => {
    const concert = await createQueued({ enabled: true, admissionPerMinute: 120 });
    const other = await createQueued({ enabled: true, admissionPerMinute: 120 });
    const tierId = concert.tiers[0]?.id ?? '';
    const [a = '', b = '', c = ''] = fans;
    for (const fan of [a, b, c]) expect((await join(fan, concert.id)).status).toBe(200);
    expect((await position(c, concert.id)).body.queue).toMatchObject({
      status: 'waiting',
      ahead: expect.any(Number),
    });
    const tokenA = await admittedToken(a, concert.id);
    // Another fan's admission, and an admission for another concert, are refused.
    expect((await reserve(b, concert.id, tierId, tokenA)).body.error?.code).toBe('ADMISSION_REQUIRED');
    await join(a, other.id);
    const otherToken = await admittedToken(a, other.id);
    expect((await reserve(a, concert.id, tierId, otherToken)).body.error?.code).toBe('ADMISSION_REQUIRED');
    // An expired one too (signed with the service's key, window closed).
    const secret = t.service.services.config.jwtSecret ?? '';
    const me = await t.api.request('GET', '/api/me/reservations', { token: a });
    expect(me.status).toBe(200);
    const claims = JSON.parse(Buffer.from(tokenA.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
    };
    const expired = await new JoseAdmissionTokens(secret).issue({
      userId: claims.sub,
      concertId: concert.id,
      expiresAtMs: Date.now() - 1_000,
    });
    expect((await reserve(a, concert.id, tierId, expired)).body.error?.code).toBe('ADMISSION_REQUIRED');
    const held = await reserve(a, concert.id, tierId, tokenA);
    expect(held.status).toBe(201);
    // At 120 a minute the three are admitted in queue order, about half a second apart.
    await admittedToken(c, concert.id);
    const admissions = await t.service.services.db.query(
      'SELECT user_id, admitted_at FROM queue_admissions WHERE concert_id = $1 ORDER BY admitted_at, user_id',
      [concert.id],
    );
    expect(admissions).toHaveLength(3);
  });

  it('tells everyone waiting sold-out at once, admits nobody more, and answers SOLD_OUT to the admitted', async () => {
    const concert = await createQueued({ enabled: true, admissionPerMinute: 60, paused: true }, 2);
    const tierId = concert.tiers[0]?.id ?? '';
    const [a = '', b = '', c = '', d = ''] = fans;
    for (const fan of [a, b, c, d]) await join(fan, concert.id);
    expect((await position(a, concert.id)).body.queue).toMatchObject({ status: 'waiting' });
    expect((await position(a, concert.id)).body.queue.estimatedWaitSeconds).toBeUndefined(); // paused
    const resumed = await t.api.request('PATCH', `/api/admin/concerts/${concert.id}/queue`, {
      token: admin,
      body: { paused: false, admissionPerMinute: 600 },
    });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, admissionPerMinute: 600, waiting: 4 });
    const order = await t.service.services.waitingRoom.deps.store.peekNext(concert.id, 4);
    const tokens = new Map<string, string>();
    for (const fan of [a, b, c, d]) tokens.set(fan, await admittedToken(fan, concert.id));
    expect(order).toHaveLength(4);
    // The first admitted buys both tickets: sold out.
    expect((await reserve(a, concert.id, tierId, tokens.get(a), 2)).status).toBe(201);
    const late = await reserve(b, concert.id, tierId, tokens.get(b));
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('SOLD_OUT');
    const overview = await t.api.request('GET', `/api/admin/concerts/${concert.id}/queue`, { token: admin });
    expect(overview.body).toMatchObject({ admitted: 4, available: 0, estimatedSellOutSeconds: 0 });
  });

  it('says sold-out to those still waiting, and admits again when held tickets come back', async () => {
    const concert = await createQueued({ enabled: true, admissionPerMinute: 60, paused: true }, 1);
    const tierId = concert.tiers[0]?.id ?? '';
    const [a = '', b = ''] = fans;
    await join(a, concert.id);
    await join(b, concert.id);
    // Let the first in: pause again as soon as one fan is admitted.
    await t.api.request('PATCH', `/api/admin/concerts/${concert.id}/queue`, {
      token: admin,
      body: { paused: false },
    });
    const store = t.service.services.waitingRoom.deps.store;
    await until(async () => ((await store.counts(concert.id)).admitted >= 1 ? true : undefined));
    await t.api.request('PATCH', `/api/admin/concerts/${concert.id}/queue`, {
      token: admin,
      body: { paused: true },
    });
    const [firstIn] = await t.service.services.db.query(
      'SELECT u.id FROM queue_admissions q JOIN users u ON u.id = q.user_id WHERE q.concert_id = $1 ORDER BY q.admitted_at LIMIT 1',
      [concert.id],
    );
    const admittedFan =
      (
        await Promise.all(
          [a, b].map(async (fan) =>
            (await position(fan, concert.id)).body.queue.status === 'admitted' ? fan : null,
          ),
        )
      ).find(Boolean) ?? '';
    const waitingFan = admittedFan === a ? b : a;
    expect(firstIn).toBeDefined();
    const hold = await reserve(admittedFan, concert.id, tierId, await admittedToken(admittedFan, concert.id));
    expect(hold.status).toBe(201);
    expect((await position(waitingFan, concert.id)).body.queue.status).toBe('sold-out');
    // The hold is cancelled: the ticket is back, the waiting fan is waiting again and gets in.
    await t.api.request('DELETE', `/api/reservations/${hold.body.reservation.id}`, { token: admittedFan });
    await t.api.request('PATCH', `/api/admin/concerts/${concert.id}/queue`, {
      token: admin,
      body: { paused: false },
    });
    expect(await admittedToken(waitingFan, concert.id)).toEqual(expect.any(String));
  });

  it('_attack F7_: refuses an onSaleAt after startsAt (400 VALIDATION_FAILED, field onSaleAt) on create and update', async () => {
    const startsAt = new Date(Date.now() + 86_400_000).toISOString();
    const late = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const created = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'Late sale',
        artist: 'A',
        venue: 'V',
        startsAt,
        onSaleAt: late,
        waitingRoom: { enabled: true, admissionPerMinute: 60 },
        tiers: [{ name: 'GA', priceCents: 100, capacity: 5 }],
      },
    });
    expect(created.status).toBe(400);
    expect(created.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'onSaleAt' } });
    const concert = await createQueued({ enabled: true, admissionPerMinute: 60 }, 5, 60_000);
    const moved = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { onSaleAt: new Date(Date.now() + 31 * 86_400_000).toISOString() },
    });
    expect(moved.status).toBe(400);
    expect(moved.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'onSaleAt' } });
    // Moving the show before its sale is the same contradiction.
    const earlier = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { startsAt: new Date(Date.now() + 30_000).toISOString() },
    });
    expect(earlier.status).toBe(400);
    expect(earlier.body.error.details.field).toBe('onSaleAt');
    const unchanged = await t.api.request('GET', `/api/concerts/${concert.id}`, { token: admin });
    expect(unchanged.body.concert.version).toBe(concert.version);
  });

  it('_attack F5_: a broken or non-object body takes no place (400); none or {} joins', async () => {
    const concert = await createQueued({ enabled: true, admissionPerMinute: 60, paused: true });
    const [fan = '', second = ''] = fans.slice(6);
    for (const rawBody of ['{"x":', 'not json', '[]', '"str"']) {
      const response = await t.api.request('POST', `/api/concerts/${concert.id}/queue`, {
        token: fan,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await position(fan, concert.id)).status).toBe(404);
    expect((await join(fan, concert.id)).status).toBe(200);
    const withObject = await t.api.request('POST', `/api/concerts/${concert.id}/queue`, {
      token: second,
      body: {},
    });
    expect(withObject.status).toBe(200);
  });

  it('409 QUEUE_NOT_OPEN for a concert without a waiting room; its reservations need no admission', async () => {
    const plain = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
    const response = await join(fans[0] ?? '', plain.id);
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('QUEUE_NOT_OPEN');
    expect((await reserve(fans[0] ?? '', plain.id, plain.tiers[0]?.id ?? '')).status).toBe(201);
  });

  it('refuses to move onSaleAt once the sale opened with fans in line (409 QUEUE_ALREADY_OPEN); before it, the draw stays', async () => {
    const [a = '', b = ''] = fans.slice(6);
    const opened = await createQueued({ enabled: true, admissionPerMinute: 60, paused: true }, 10, -1_000);
    const before = (await t.api.request('GET', `/api/concerts/${opened.id}`)).body.concert;
    expect((await join(a, opened.id)).body.queue).toMatchObject({ status: 'waiting', position: 1 });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    for (const onSaleAt of [later, null]) {
      const refused = await t.api.request('PATCH', `/api/concerts/${opened.id}`, {
        token: admin,
        body: { onSaleAt },
      });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('QUEUE_ALREADY_OPEN');
    }
    const after = (await t.api.request('GET', `/api/concerts/${opened.id}`)).body.concert;
    expect(after.onSaleAt).toBe(before.onSaleAt);
    expect(after.version).toBe(before.version);
    // The same time again, or another field, is no move.
    const same = await t.api.request('PATCH', `/api/concerts/${opened.id}`, {
      token: admin,
      body: { onSaleAt: before.onSaleAt, title: 'Renamed' },
    });
    expect(same.status).toBe(200);
    // Before the sale opens the organiser may move it: the early joiner stays in the draw.
    const upcoming = await createQueued({ enabled: true, admissionPerMinute: 60, paused: true }, 10, 60_000);
    expect((await join(b, upcoming.id)).body.queue.status).toBe('before-sale');
    const moved = await t.api.request('PATCH', `/api/concerts/${upcoming.id}`, {
      token: admin,
      body: { onSaleAt: later },
    });
    expect(moved.status).toBe(200);
    expect((await position(b, upcoming.id)).body.queue).toEqual({ status: 'before-sale', opensAt: later });
  });
});

describe('queue joins per address', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ QUEUE_JOINS_PER_ADDRESS_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 429 with Retry-After past QUEUE_JOINS_PER_ADDRESS_PER_MINUTE new places; a refresh is free', async () => {
    const admin = await t.api.adminToken();
    const fans = await createCustomers(t.service, 5);
    const created = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'Q',
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        waitingRoom: { enabled: true, admissionPerMinute: 60, paused: true },
        tiers: [{ name: 'GA', priceCents: 100, capacity: 5 }],
      },
    });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    // Three new places spend the budget; the first fan's refreshes (a reload, a second tab) stay free.
    for (const token of [fans[0], fans[1], fans[2], fans[0], fans[0], fans[3], fans[4]]) {
      const response = await t.api.request('POST', `/api/concerts/${created.body.concert.id}/queue`, {
        token: token ?? '',
      });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});

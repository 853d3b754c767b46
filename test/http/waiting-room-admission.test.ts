import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/poll';
import { createCustomers, startTestService, type TestService } from '../support/test-service';

const PER_FAN = 4;

describe('what one admission can buy (issue 20: one admission, several reservations)', () => {
  let t: TestService;
  let admin: string;
  let fans: string[];

  beforeAll(async () => {
    t = await startTestService({ TICKETS_PER_USER_LIMIT: String(PER_FAN) });
    admin = await t.api.adminToken();
    fans = await createCustomers(t.service, 4);
  });
  afterAll(async () => {
    await t?.close();
  });

  const createQueued = async (capacity: number) => {
    const response = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'Queued',
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        waitingRoom: { enabled: true, admissionPerMinute: 600 },
        tiers: [
          { name: 'GA', priceCents: 1000, capacity, maxPerOrder: 4 },
          { name: 'VIP', priceCents: 5000, capacity, maxPerOrder: 4 },
        ],
      },
    });
    expect(response.status).toBe(201);
    return response.body.concert as { id: string; tiers: Array<{ id: string }> };
  };
  const admittedToken = async (token: string, concertId: string) => {
    expect((await t.api.request('POST', `/api/concerts/${concertId}/queue`, { token })).status).toBe(200);
    return until(async () => {
      const { body } = await t.api.request('GET', `/api/concerts/${concertId}/queue`, { token });
      return body.queue?.status === 'admitted' ? (body.queue.admission.token as string) : undefined;
    });
  };
  const reserve = (
    token: string,
    concertId: string,
    tierId: string,
    admissionToken: string,
    quantity: number,
  ) =>
    t.api.request('POST', '/api/reservations', {
      token,
      body: { concertId, tierId, quantity, admissionToken },
    });

  it('bounds the reservations of one admission, across tiers and in parallel, by TICKETS_PER_USER_LIMIT', async () => {
    const concert = await createQueued(100);
    const [ga = '', vip = ''] = concert.tiers.map((tier) => tier.id);
    const [bot = ''] = fans;
    const admission = await admittedToken(bot, concert.id);
    // Several reservations with the one admission: allowed up to the per-fan limit, across tiers.
    const first = await reserve(bot, concert.id, ga, admission, 2);
    expect(first.status).toBe(201);
    expect((await reserve(bot, concert.id, vip, admission, 1)).status).toBe(201);
    // Eight more single tickets at once: only one more fits under the limit.
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, index) => reserve(bot, concert.id, index % 2 ? ga : vip, admission, 1)),
    );
    expect(burst.filter((answer) => answer.status === 201)).toHaveLength(1);
    for (const refused of burst.filter((answer) => answer.status !== 201)) {
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({
        code: 'LIMIT_EXCEEDED',
        details: { scope: 'user', max: PER_FAN },
      });
    }
    // Confirming changes nothing; only a hold given back frees room, and the total never passes the limit.
    const id = first.body.reservation.id as string;
    expect((await t.api.request('POST', `/api/reservations/${id}/confirm`, { token: bot })).status).toBe(200);
    expect((await reserve(bot, concert.id, ga, admission, 1)).status).toBe(409);
    const mine = await t.api.request('GET', '/api/me/reservations', { token: bot });
    const live = (mine.body.reservations as Array<{ concertId: string; status: string; quantity: number }>)
      .filter((reservation) => reservation.concertId === concert.id)
      .filter((reservation) => reservation.status === 'held' || reservation.status === 'confirmed');
    expect(live.reduce((sum, reservation) => sum + reservation.quantity, 0)).toBe(PER_FAN);
  });

  it('a waiting list on a waiting-room concert needs the admission too: no offer to a fan who skipped the queue', async () => {
    const concert = await createQueued(1);
    const [ga = ''] = concert.tiers.map((tier) => tier.id);
    const [, buyer = '', skipper = '', admitted = ''] = fans;
    const hold = await reserve(buyer, concert.id, ga, await admittedToken(buyer, concert.id), 1);
    expect(hold.status).toBe(201); // GA sold out
    const path = `/api/concerts/${concert.id}/tiers/${ga}/waitlist`;
    // Never admitted: refused, nothing written (the ticket that comes back is not owed to this fan).
    const skipped = await t.api.request('POST', path, { token: skipper, body: { quantity: 1 } });
    expect(skipped.status).toBe(403);
    expect(skipped.body.error.code).toBe('ADMISSION_REQUIRED');
    expect((await t.api.request('GET', '/api/me/waitlist', { token: skipper })).body.entries).toEqual([]);
    // Another fan's admission does not do either.
    const borrowed = await admittedToken(admitted, concert.id);
    const foreign = await t.api.request('POST', path, {
      token: skipper,
      body: { quantity: 1, admissionToken: borrowed },
    });
    expect(foreign.status).toBe(403);
    // An admitted fan may wait for tickets to come back.
    const joined = await t.api.request('POST', path, {
      token: admitted,
      body: { quantity: 1, admissionToken: borrowed },
    });
    expect(joined.status).toBe(201);
  });

  it('a waiting room turned on or off applies to the very next reservation on this instance (the gate keeps its read through holds only)', async () => {
    const created = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'Open sale',
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        tiers: [{ name: 'GA', priceCents: 1000, capacity: 100, maxPerOrder: 4 }],
      },
    });
    const concert = created.body.concert as { id: string; tiers: Array<{ id: string }> };
    const tierId = concert.tiers[0]?.id ?? '';
    const [, , fan = ''] = fans;
    const plain = () =>
      t.api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId, quantity: 1 },
      });
    // Holds without a waiting room: the gate reads the concert once and keeps it through them.
    expect((await plain()).status).toBe(201);
    expect((await plain()).status).toBe(201);
    const on = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { waitingRoom: { enabled: true, admissionPerMinute: 600 } },
    });
    expect(on.status).toBe(200);
    const refused = await plain();
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ADMISSION_REQUIRED');
    const off = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { waitingRoom: { enabled: false } },
    });
    expect(off.status).toBe(200);
    expect((await plain()).status).toBe(201);
  });
});

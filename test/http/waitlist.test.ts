import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoOversell } from '../support/invariants';
import { startTestService, type TestService } from '../support/test-service';

/** The waiting list through the HTTP contract (API.md, "Waiting list and check-in"). */
describe('waiting list over HTTP', () => {
  let t: TestService;
  let admin: string;
  let fans = 0;
  const fan = () => t.api.register(`wl-${++fans}@example.test`, 'password-123', `Fan ${fans}`);
  /** A tier of `capacity` entirely held by one buyer; answers the buyer's token and hold. */
  const soldOut = async (capacity: number, maxPerOrder = 4) => {
    const concert = await t.api.createConcert(admin, [
      { name: 'GA', priceCents: 1500, capacity, maxPerOrder },
    ]);
    const tierId = concert.tiers[0]?.id as string;
    const buyer = await fan();
    const held = await t.api.request('POST', '/api/reservations', {
      token: buyer,
      body: { concertId: concert.id, tierId, quantity: capacity },
    });
    expect(held.status).toBe(201);
    return { concertId: concert.id, tierId, buyer, holdId: held.body.reservation.id as string };
  };
  const waitlistPath = (concertId: string, tierId: string) =>
    `/api/concerts/${concertId}/tiers/${tierId}/waitlist`;
  const myEntries = async (token: string) =>
    (await t.api.request('GET', '/api/me/waitlist', { token })).body.entries;

  beforeAll(async () => {
    t = await startTestService({
      WAITLIST_OFFER_SECONDS: '2',
      TICKETS_PER_USER_LIMIT: '4',
      REGISTRATIONS_PER_ADDRESS_PER_MINUTE: '0',
    });
    admin = await t.api.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('joins a sold-out tier (201, again 200 with the same entry) and refuses what the contract says', async () => {
    const { concertId, tierId } = await soldOut(2, 2);
    const path = waitlistPath(concertId, tierId);
    const first = await fan();

    const joined = await t.api.request('POST', path, { token: first, body: { quantity: 2 } });
    expect(joined.status).toBe(201);
    expect(joined.body.entry).toMatchObject({
      concertId,
      tierId,
      quantity: 2,
      position: 1,
      status: 'waiting',
    });
    const again = await t.api.request('POST', path, { token: first, body: { quantity: 1 } });
    expect([again.status, again.body.entry]).toEqual([200, joined.body.entry]);

    const second = await fan();
    expect(await t.api.request('POST', path, { token: second, body: { quantity: 3 } })).toMatchObject({
      status: 409,
      body: { error: { code: 'LIMIT_EXCEEDED', details: { scope: 'order', max: 2 } } },
    });
    expect(
      (
        await t.api.request('POST', waitlistPath(concertId, concertId), {
          token: second,
          body: { quantity: 1 },
        })
      ).status,
    ).toBe(404);
    expect((await t.api.request('POST', path, { body: { quantity: 1 } })).status).toBe(401);
    expect((await t.api.request('POST', path, { token: second, body: { quantity: '1' } })).status).toBe(400);

    const open = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1500, capacity: 5 }]);
    expect(
      await t.api.request('POST', waitlistPath(open.id, open.tiers[0]?.id as string), {
        token: second,
        body: { quantity: 2 },
      }),
    ).toMatchObject({ status: 409, body: { error: { code: 'TIER_AVAILABLE', details: { available: 5 } } } });
  });

  it('lets no fan close a tier that is not sold out: above capacity or while any ticket is free, joining is refused', async () => {
    // The attack (atk-waitlist grief-fresh-tier / grief-join-not-soldout): a join for more than is left made
    // the tier read 0 and answer SOLD_OUT to everyone, with nobody buying.
    const concert = await t.api.createConcert(admin, [
      { name: 'GA', priceCents: 1500, capacity: 3, maxPerOrder: 4 },
    ]);
    const tierId = concert.tiers[0]?.id as string;
    const path = waitlistPath(concert.id, tierId);
    const griefer = await fan();
    expect(await t.api.request('POST', path, { token: griefer, body: { quantity: 4 } })).toMatchObject({
      status: 409,
      body: { error: { code: 'LIMIT_EXCEEDED', details: { scope: 'order', max: 3 } } },
    });
    const buyer = await fan();
    const held = await t.api.request('POST', '/api/reservations', {
      token: buyer,
      body: { concertId: concert.id, tierId, quantity: 2 },
    });
    expect(held.status).toBe(201);
    expect(await t.api.request('POST', path, { token: griefer, body: { quantity: 2 } })).toMatchObject({
      status: 409,
      body: { error: { code: 'TIER_AVAILABLE', details: { available: 1 } } },
    });
    const rows = await t.service.services.db.query<{ n: number }>(
      'SELECT count(*)::integer AS n FROM waitlist_entries WHERE tier_id = $1',
      [tierId],
    );
    expect(rows[0]?.n).toBe(0);
    const shown = await t.api.request('GET', `/api/concerts/${concert.id}`);
    expect(shown.body.concert.tiers[0].available).toBe(1);
    const last = await t.api.request('POST', '/api/reservations', {
      token: await fan(),
      body: { concertId: concert.id, tierId, quantity: 1 },
    });
    expect(last.status).toBe(201);
  });

  it('counts held and confirmed tickets against TICKETS_PER_USER_LIMIT when joining', async () => {
    const concert = await t.api.createConcert(admin, [
      { name: 'GA', priceCents: 1500, capacity: 3, maxPerOrder: 4 },
      { name: 'VIP', priceCents: 5000, capacity: 2, maxPerOrder: 2 },
    ]);
    const [ga, vip] = concert.tiers.map((tier) => tier.id);
    const greedy = await fan();
    await t.api.request('POST', '/api/reservations', {
      token: greedy,
      body: { concertId: concert.id, tierId: ga, quantity: 3 },
    });
    await t.api.request('POST', '/api/reservations', {
      token: await fan(),
      body: { concertId: concert.id, tierId: vip, quantity: 2 },
    });
    expect(
      await t.api.request('POST', waitlistPath(concert.id, vip as string), {
        token: greedy,
        body: { quantity: 2 },
      }),
    ).toMatchObject({
      status: 409,
      body: { error: { code: 'LIMIT_EXCEEDED', details: { scope: 'user', max: 4 } } },
    });
  });

  it('offers a cancelled hold to the list, not the open market; mails it once; a confirmed offer is claimed', async () => {
    const { concertId, tierId, buyer, holdId } = await soldOut(2);
    const [waiting, outsider] = [await fan(), await fan()];
    await t.api.request('POST', waitlistPath(concertId, tierId), { token: waiting, body: { quantity: 2 } });

    // While someone waits, the tier reads sold out and the open market is refused.
    const shown = await t.api.request('GET', `/api/concerts/${concertId}`);
    expect(shown.body.concert.tiers[0].available).toBe(0);
    expect(
      (await t.api.request('DELETE', `/api/reservations/${holdId}`, { token: buyer })).body.reservation
        .status,
    ).toBe('cancelled');
    const refused = await t.api.request('POST', '/api/reservations', {
      token: outsider,
      body: { concertId, tierId, quantity: 1 },
    });
    expect(refused.body.error?.code).toBe('SOLD_OUT');

    const [offered] = await myEntries(waiting);
    expect(offered).toMatchObject({
      status: 'offered',
      reservation: { status: 'held', concertId, tierId, quantity: 2, totalCents: 3000 },
    });
    expect(offered.position).toBeUndefined();
    const lasts = Date.parse(offered.reservation.expiresAt) - Date.parse(offered.reservation.createdAt);
    expect(lasts).toBeGreaterThan(1_500);
    expect(lasts).toBeLessThan(2_500);
    await expect
      .poll(async () =>
        (
          await t.service.services.db.query(
            'SELECT recipient, subject FROM email_outbox WHERE dedupe_key = $1',
            [`waitlist-offer:${offered.id}`],
          )
        ).map((row) => row.subject),
      )
      .toEqual([expect.stringContaining('held for you')]);

    const confirmed = await t.api.request('POST', `/api/reservations/${offered.reservation.id}/confirm`, {
      token: waiting,
    });
    expect(confirmed.status).toBe(200);
    expect((await myEntries(waiting))[0]).toMatchObject({
      status: 'claimed',
      reservation: { status: 'confirmed' },
    });
    await expectNoOversell(t.service.services.db);
  });

  it('passes an offer that runs out to the next fan, on time, without any sale or job', async () => {
    const { concertId, tierId, buyer, holdId } = await soldOut(1);
    const [first, second] = [await fan(), await fan()];
    for (const token of [first, second])
      await t.api.request('POST', waitlistPath(concertId, tierId), { token, body: { quantity: 1 } });
    expect((await myEntries(second))[0]).toMatchObject({ status: 'waiting', position: 2 });
    await t.api.request('DELETE', `/api/reservations/${holdId}`, { token: buyer });
    expect((await myEntries(first))[0]).toMatchObject({ status: 'offered' });

    // WAITLIST_OFFER_SECONDS=2: the hold expiry timer sweeps, and the sweep offers to the next fan.
    await expect
      .poll(async () => (await myEntries(second))[0]?.status, { timeout: 8_000, interval: 200 })
      .toBe('offered');
    expect((await myEntries(first))[0]).toMatchObject({
      status: 'expired',
      reservation: { status: 'expired' },
    });
    await expectNoOversell(t.service.services.db);
  });

  it('leaves (200 left, an open offer declined and passed on; 404 without an entry) and counts for the console', async () => {
    const { concertId, tierId, buyer, holdId } = await soldOut(1);
    const path = waitlistPath(concertId, tierId);
    const [first, second, third] = [await fan(), await fan(), await fan()];
    for (const token of [first, second, third])
      await t.api.request('POST', path, { token, body: { quantity: 1 } });
    await t.api.request('DELETE', `/api/reservations/${holdId}`, { token: buyer });

    const declined = await t.api.request('DELETE', path, { token: first });
    expect(declined.status).toBe(200);
    expect(declined.body.entry).toMatchObject({ status: 'left', reservation: { status: 'cancelled' } });
    expect((await myEntries(second))[0]?.status).toBe('offered');
    expect((await t.api.request('DELETE', path, { token: third })).body.entry.status).toBe('left');
    expect((await t.api.request('DELETE', path, { token: third })).status).toBe(404);

    const stats = await t.api.request('GET', `/api/admin/concerts/${concertId}/waitlist`, { token: admin });
    expect(stats.status).toBe(200);
    expect(stats.body.tiers).toEqual([
      { tierId, waiting: 0, waitingTickets: 0, offered: 1, offersMade: 2, claimed: 0, expired: 0, left: 2 },
    ]);
    expect(
      (await t.api.request('GET', `/api/admin/concerts/${concertId}/waitlist`, { token: first })).status,
    ).toBe(403);
    expect(
      (await t.api.request('GET', `/api/admin/concerts/${tierId}/waitlist`, { token: admin })).status,
    ).toBe(404);
    expect((await t.api.request('GET', '/api/me/waitlist')).status).toBe(401);
  });
});

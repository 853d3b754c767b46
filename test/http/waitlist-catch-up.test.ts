import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoOversell } from '../support/invariants';
import { startTestService, type TestService } from '../support/test-service';

/**
 * What a killed replica leaves undone is done by a surviving long-running process within seconds (the
 * catch-up loop, every 5 s), and offer e-mails leave at once (atk-waitlist findings 2–4). "Another replica"
 * is played by SQL run straight on the database, which this process's timers and announcer never hear of:
 * exactly what a SIGKILLed replica leaves behind.
 */
describe('waiting list: a surviving process catches up', () => {
  let t: TestService;
  let admin: string;
  let fans = 0;
  const fan = async () => {
    const email = `wlc-${++fans}@example.test`;
    const token = await t.api.register(email, 'password-123', `Fan ${fans}`);
    const [user] = await t.service.services.db.query<{ id: string }>(
      'SELECT id FROM users WHERE email = $1',
      [email],
    );
    return { token, userId: user?.id as string };
  };
  const waitlistPath = (concertId: string, tierId: string) =>
    `/api/concerts/${concertId}/tiers/${tierId}/waitlist`;
  const myEntries = async (token: string) =>
    (await t.api.request('GET', '/api/me/waitlist', { token })).body.entries;
  const offerMail = async (entryId: string) =>
    (
      await t.service.services.db.query<{ status: string }>(
        'SELECT status FROM email_outbox WHERE dedupe_key = $1',
        [`waitlist-offer:${entryId}`],
      )
    ).map((row) => row.status);
  /** A new concert with one tier of one ticket. */
  const oneTicketTier = async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1500, capacity: 1 }]);
    const tierId = concert.tiers[0]?.id as string;
    return { concertId: concert.id, tierId };
  };

  beforeAll(async () => {
    t = await startTestService({ WAITLIST_OFFER_SECONDS: '30', REGISTRATIONS_PER_ADDRESS_PER_MINUTE: '0' });
    admin = await t.api.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  // First: any timer this process armed (the other tests' offers) would sweep this hold too when it fires.
  it('offers a hold another process made, and died holding the timer of, when it runs out', async () => {
    const { concertId, tierId } = await oneTicketTier();
    const buyer = await fan();
    // A 2-second hold made in "another replica": this process armed no timer for it.
    const [hold] = await t.service.services.db.query<{ outcome: string }>(
      'SELECT outcome FROM reserve_one($1, $2, $3, 1, NULL, 2, 0, 0)',
      [buyer.userId, concertId, tierId],
    );
    expect(hold?.outcome).toBe('created');
    const waiting = await fan();
    const joined = await t.api.request('POST', waitlistPath(concertId, tierId), {
      token: waiting.token,
      body: { quantity: 1 },
    });
    expect(joined.status).toBe(201);
    // No sale, no job: only the catch-up loop's re-armed timer can release it (within seconds).
    await expect
      .poll(async () => (await myEntries(waiting.token))[0]?.status, { timeout: 12_000, interval: 200 })
      .toBe('offered');
    await expectNoOversell(t.service.services.db);
  });
  it('mails an offer soon after it is made, not at the next reminders or daily-report run', async () => {
    const { concertId, tierId } = await oneTicketTier();
    const buyer = await fan();
    const held = await t.api.request('POST', '/api/reservations', {
      token: buyer.token,
      body: { concertId, tierId, quantity: 1 },
    });
    const waiting = await fan();
    await t.api.request('POST', waitlistPath(concertId, tierId), {
      token: waiting.token,
      body: { quantity: 1 },
    });
    await t.api.request('DELETE', `/api/reservations/${held.body.reservation.id}`, { token: buyer.token });
    const [offered] = await myEntries(waiting.token);
    expect(offered.status).toBe('offered');
    await expect.poll(() => offerMail(offered.id), { timeout: 10_000, interval: 200 }).toEqual(['sent']);
  });

  it('announces (marked announced, e-mail sent) an offer another process made and died before announcing', async () => {
    const { concertId, tierId } = await oneTicketTier();
    const buyer = await fan();
    const held = await t.api.request('POST', '/api/reservations', {
      token: buyer.token,
      body: { concertId, tierId, quantity: 1 },
    });
    const waiting = await fan();
    await t.api.request('POST', waitlistPath(concertId, tierId), {
      token: waiting.token,
      body: { quantity: 1 },
    });
    // The cancel commits (and the database makes the offer) in "another replica", killed right after.
    await t.service.services.db.query('SELECT * FROM cancel_reservation($1, NULL)', [
      held.body.reservation.id,
    ]);
    const [offered] = await myEntries(waiting.token);
    expect(offered.status).toBe('offered');
    await expect
      .poll(
        async () =>
          (
            await t.service.services.db.query<{ announced: boolean }>(
              'SELECT announced_at IS NOT NULL AS announced FROM waitlist_entries WHERE id = $1',
              [offered.id],
            )
          )[0]?.announced,
        { timeout: 12_000, interval: 200 },
      )
      .toBe(true);
    await expect.poll(() => offerMail(offered.id), { timeout: 12_000, interval: 200 }).toEqual(['sent']);
  });
});

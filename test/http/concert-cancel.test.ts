import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoOversell } from '../support/invariants';
import { rawClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

describe('cancelling a concert ends its sales, once (issue 14 item 6)', () => {
  let t: TestService;
  let admin: string;

  beforeAll(async () => {
    t = await startTestService({ TICKETS_PER_USER_LIMIT: '0', REALTIME_COALESCE_MS: '20' });
    admin = await t.api.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  const rows = (sql: string, params: unknown[] = []) => t.service.services.db.query(sql, params as string[]);

  it('releases open holds, voids sold tickets, mails each holder once and tells watchers', async () => {
    const concert = await t.api.createConcert(admin, [
      { name: 'Floor', priceCents: 5000, capacity: 10 },
      { name: 'Balcony', priceCents: 2000, capacity: 5 },
    ]);
    const [floor, balcony] = concert.tiers.map((tier) => tier.id);
    const buyer = await t.api.register('cancel-buyer@example.test', 'password-123', 'Buyer');
    const holder = await t.api.register('cancel-holder@example.test', 'password-123', 'Holder');
    const bought = await t.api.request('POST', '/api/reservations', {
      token: buyer,
      body: { concertId: concert.id, tierId: floor, quantity: 2 },
    });
    expect(bought.status).toBe(201);
    expect(
      (
        await t.api.request('POST', `/api/reservations/${bought.body.reservation.id}/confirm`, {
          token: buyer,
        })
      ).status,
    ).toBe(200);
    const held = await t.api.request('POST', '/api/reservations', {
      token: holder,
      body: { concertId: concert.id, tierId: balcony, quantity: 3 },
    });
    expect(held.status).toBe(201);

    const watcher = await rawClient(t.service.url);
    const adminSocket = await rawClient(t.service.url, admin);
    try {
      watcher.send({ action: 'join-concert', concertId: concert.id });
      adminSocket.send({ action: 'join-admin' });
      const snapshot = await watcher.inbox.next((m) => m.type === 'concert-update');
      await expect.poll(async () => (await t.service.services.realtime.registry.admins()).length).toBe(1);

      const cancelled = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
        token: admin,
        body: { status: 'cancelled' },
      });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.concert).toMatchObject({
        status: 'cancelled',
        availableTickets: 15,
        totalBooked: 0,
      });

      const update = await watcher.inbox.next(
        (m) => m.type === 'concert-update' && m.version > snapshot.version && m.availableTickets === 15,
      );
      expect(update.totalBooked).toBe(0);
      await adminSocket.inbox.next(
        (m) => m.type === 'admin-notification' && m.event === 'concert-updated' && m.concertId === concert.id,
      );
    } finally {
      watcher.close();
      adminSocket.close();
    }

    const reservations = await rows(
      'SELECT id, status, cancelled_at IS NOT NULL AS cancelled FROM reservations WHERE concert_id = $1',
      [concert.id],
    );
    expect(reservations).toHaveLength(2);
    for (const r of reservations) expect(r).toMatchObject({ status: 'cancelled', cancelled: true });
    expect(
      (await t.api.request('GET', `/api/reservations/${held.body.reservation.id}`, { token: holder })).body
        .reservation.status,
    ).toBe('cancelled');

    const mails = await rows(
      'SELECT dedupe_key, recipient, subject, text_body FROM email_outbox WHERE dedupe_key LIKE $1 ORDER BY recipient',
      [`concert-cancelled:${concert.id}:%`],
    );
    expect(mails.map((m) => m.recipient)).toEqual([
      'cancel-buyer@example.test',
      'cancel-holder@example.test',
    ]);
    expect(mails[0]?.text_body).toContain('$100.00 will be refunded');
    expect(mails[1]?.text_body).toContain('hold on 3 tickets was released');

    // The input: confirming the hold of a cancelled concert sells nothing.
    const confirm = await t.api.request('POST', `/api/reservations/${held.body.reservation.id}/confirm`, {
      token: holder,
    });
    expect(confirm.status).toBe(409);
    expect(['CONCERT_NOT_ON_SALE', 'RESERVATION_CANCELLED']).toContain(confirm.body.error.code);
    expect(await rows('SELECT 1 FROM tickets WHERE reservation_id = $1', [held.body.reservation.id])).toEqual(
      [],
    );

    const reserve = await t.api.request('POST', '/api/reservations', {
      token: holder,
      body: { concertId: concert.id, tierId: floor, quantity: 1 },
    });
    expect(reserve.status).toBe(409);
    expect(reserve.body.error.code).toBe('CONCERT_NOT_ON_SALE');

    // PATCHed twice: nothing released twice, nobody mailed twice.
    const again = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { status: 'cancelled', title: 'Called off' },
    });
    expect(again.status).toBe(200);
    expect(again.body.concert).toMatchObject({ availableTickets: 15, title: 'Called off' });
    expect(
      await rows('SELECT count(*)::integer AS n FROM email_outbox WHERE dedupe_key LIKE $1', [
        `concert-cancelled:${concert.id}:%`,
      ]),
    ).toEqual([{ n: 2 }]);
    await expectNoOversell(t.service.services.db);
  });

  it('is final: a cancelled concert is not put back on sale (409, nothing changed)', async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 4 }]);
    await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { status: 'cancelled' },
    });
    for (const status of ['on-sale', 'paused']) {
      const reopen = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
        token: admin,
        body: { status, title: 'Back on' },
      });
      expect(reopen.status).toBe(409);
      expect(reopen.body.error.code).toBe('CONCERT_NOT_ON_SALE');
    }
    expect((await t.api.request('GET', `/api/concerts/${concert.id}`)).body.concert).toMatchObject({
      status: 'cancelled',
      title: 'Flash Sale Live',
    });
  });

  it('leaves a paused concert its holds and tickets (only cancelling ends sales)', async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 4 }]);
    const fan = await t.api.register('paused-holder@example.test');
    const hold = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
    });
    const paused = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { status: 'paused' },
    });
    expect(paused.body.concert).toMatchObject({ status: 'paused', availableTickets: 3 });
    expect(await rows('SELECT status FROM reservations WHERE id = $1', [hold.body.reservation.id])).toEqual([
      { status: 'held' },
    ]);
  });
});

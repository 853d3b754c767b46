import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawClient, socketIoClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

describe('real-time without Redis (the in-process bus and registry)', () => {
  let t: TestService;

  beforeAll(async () => {
    t = await startTestService({
      REALTIME_COALESCE_MS: '100',
      TICKETS_PER_USER_LIMIT: '0',
      HOLDS_PER_USER_LIMIT: '0',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('pushes updates, coalesced but always ending on the newest version, to ws and socket.io watchers', async () => {
    const admin = await t.api.adminToken();
    const fan = await t.api.register('embedded-watch@example.test');
    const concert = await t.api.createConcert(admin, [
      { name: 'GA', priceCents: 100, capacity: 40, maxPerOrder: 1 },
    ]);
    const raw = await rawClient(t.service.url);
    const sio = await socketIoClient(t.service.url, { token: admin });
    raw.send({ action: 'join-concert', concertId: concert.id });
    sio.socket.emit('join-concert', concert.id);
    sio.socket.emit('join-admin');
    await raw.inbox.next((m) => m.type === 'concert-update');
    await sio.inbox.next((m) => m.type === 'concert-update');

    const body = { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 };
    const sales = await Promise.all(
      Array.from({ length: 10 }, () => t.api.request('POST', '/api/reservations', { token: fan, body })),
    );
    expect(sales.every((r) => r.status === 201)).toBe(true);

    await raw.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 30);
    await sio.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 30);
    const updates = raw.inbox.messages.filter((m) => m.type === 'concert-update');
    expect(updates.length).toBeLessThan(11); // ten sales, fewer frames: coalesced
    const reservationIds = sales.map((r) => r.body.reservation.id).sort();
    // Every hold is announced: one by one, or counted in a `reservations` summary (issue 19).
    const announced = () =>
      sio.inbox.messages.filter((m) => m.event === 'new-reservation').length +
      sio.inbox.messages
        .filter((m) => m.type === 'reservations')
        .flatMap((m) => m.concerts)
        .filter((c: { concertId: string }) => c.concertId === concert.id)
        .reduce((sum: number, c: { holds: number }) => sum + c.holds, 0);
    await sio.inbox.next(() => announced() === 10);
    const noticed = sio.inbox.messages
      .filter((m) => m.event === 'new-reservation')
      .map((m) => m.reservationId);
    expect(noticed.length).toBeGreaterThan(0);
    for (const id of noticed) expect(reservationIds).toContain(id);

    // socket.io runs one socket's events in order: the snapshot of the next join acknowledges the leave.
    const control = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 10 }]);
    sio.socket.emit('leave-concert', concert.id);
    sio.socket.emit('join-concert', control.id);
    await sio.inbox.next((m) => m.type === 'concert-update' && m.concertId === control.id);
    sio.inbox.clear();
    expect((await t.api.request('POST', '/api/reservations', { token: fan, body })).status).toBe(201);
    // socket.io rooms get an update before raw watchers do: the update has gone out to the rooms.
    await raw.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 29);
    // A later sale of the control concert reaches sio: had it still watched the first concert, that
    // update would have come first on the same connection.
    const controlSale = { concertId: control.id, tierId: control.tiers[0]?.id, quantity: 1 };
    expect((await t.api.request('POST', '/api/reservations', { token: fan, body: controlSale })).status).toBe(
      201,
    );
    await sio.inbox.next(
      (m) => m.type === 'concert-update' && m.concertId === control.id && m.availableTickets === 9,
    );
    expect(
      sio.inbox.messages.filter((m) => m.concertId === concert.id && m.type === 'concert-update'),
    ).toEqual([]);
    raw.close();
    sio.close();
  });

  it('answers a socket.io join-admin without an admin token with an error', async () => {
    const fan = await t.api.register('sio-stranger@example.test');
    const sio = await socketIoClient(t.service.url, { token: fan });
    sio.socket.emit('join-admin');
    expect(await sio.inbox.next((m) => m.type === 'error')).toMatchObject({ code: 'FORBIDDEN' });
    // Not a UUID: no such concert, as over HTTP and raw WebSocket (attack F7).
    sio.socket.emit('join-concert', 'not-an-id');
    expect(await sio.inbox.next((m) => m.type === 'error' && m.code === 'NOT_FOUND')).toBeTruthy();
    sio.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBusPayload } from '../../functions/adapters/redis/realtime-message-schema';
import { waitlistOfferMessage } from '../../functions/core/realtime';
import { type RawClient, rawClient, type SocketIoClient, socketIoClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

/**
 * The live `waitlist-offer` (API.md, WebSocket): told to the fan's own connections (raw `/ws` and Socket.IO,
 * identified by the token they connected with), never to another fan's, never to the admin feed.
 */
describe('waiting-list offers on the live channel', () => {
  let t: TestService;
  const clients: Array<RawClient | SocketIoClient> = [];

  beforeAll(async () => {
    t = await startTestService({ REGISTRATIONS_PER_ADDRESS_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await t?.close();
  });

  it("reaches the fan's raw and Socket.IO connections only, without the fan's id", async () => {
    const admin = await t.api.adminToken();
    const buyer = await t.api.register('offer-buyer@example.test');
    const fan = await t.api.register('offer-fan@example.test');
    const other = await t.api.register('offer-other@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 2000, capacity: 2 }]);
    const tierId = concert.tiers[0]?.id as string;
    const holds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const held = await t.api.request('POST', '/api/reservations', {
        token: buyer,
        body: { concertId: concert.id, tierId, quantity: 1 },
      });
      holds.push(held.body.reservation.id);
    }
    for (const token of [fan, other])
      await t.api.request('POST', `/api/concerts/${concert.id}/tiers/${tierId}/waitlist`, {
        token,
        body: { quantity: 1 },
      });

    const fanRaw = await rawClient(t.service.url, fan);
    const otherRaw = await rawClient(t.service.url, other);
    const adminRaw = await rawClient(t.service.url, admin);
    const fanSocketIo = await socketIoClient(t.service.url, { token: fan });
    fanSocketIo.socket.on('waitlist-offer', (message) => fanSocketIo.inbox.push(message));
    clients.push(fanRaw, otherRaw, adminRaw, fanSocketIo);
    adminRaw.send({ action: 'join-admin' });
    // Registered: each raw connection answers a join (its $connect, token and all, has run).
    for (const client of [fanRaw, otherRaw, adminRaw]) {
      client.send({ action: 'join-concert', concertId: concert.id });
      await client.inbox.next((m) => m.type === 'concert-update');
    }
    // Socket.IO verifies the handshake token after connecting: a join's answer comes after it.
    fanSocketIo.socket.emit('join-concert', concert.id);
    await fanSocketIo.inbox.next((m) => m.type === 'concert-update');

    await t.api.request('DELETE', `/api/reservations/${holds[0]}`, { token: buyer }); // offered to `fan`
    const offer = await fanRaw.inbox.next((m) => m.type === 'waitlist-offer');
    const [entry] = (await t.api.request('GET', '/api/me/waitlist', { token: fan })).body.entries;
    expect(offer).toEqual({
      type: 'waitlist-offer',
      concertId: concert.id,
      tierId,
      reservation: entry.reservation,
    });
    expect(await fanSocketIo.inbox.next((m) => m.type === 'waitlist-offer')).toEqual(offer);

    await t.api.request('DELETE', `/api/reservations/${holds[1]}`, { token: buyer }); // offered to `other`
    const othersOffer = await otherRaw.inbox.next((m) => m.type === 'waitlist-offer');
    expect(othersOffer.reservation.id).not.toBe(offer.reservation.id);
    await adminRaw.inbox.next(
      (m) =>
        m.type === 'admin-notification' &&
        m.event === 'reservation-cancelled' &&
        m.reservationId === holds[1],
    );
    // Both offers went out before `other` got the second: neither reached a connection it was not for.
    expect(otherRaw.inbox.messages.filter((m) => m.type === 'waitlist-offer')).toEqual([othersOffer]);
    expect(fanRaw.inbox.messages.filter((m) => m.type === 'waitlist-offer')).toEqual([offer]);
    expect(adminRaw.inbox.messages.filter((m) => m.type === 'waitlist-offer')).toEqual([]);
  });

  it('crosses replicas: the bus payload is read back whole, and a forged one is dropped', () => {
    const message = waitlistOfferMessage({
      id: '00000000-0000-4000-8000-000000000001',
      userId: '00000000-0000-4000-8000-000000000002',
      status: 'held',
      concertId: '00000000-0000-4000-8000-000000000003',
      tierId: '00000000-0000-4000-8000-000000000004',
      quantity: 2,
      totalCents: 4000,
      currency: 'EUR',
      expiresAt: '2026-12-01T00:10:00.000Z',
      createdAt: '2026-12-01T00:00:00.000Z',
    });
    expect(parseBusPayload(JSON.stringify(message))?.message).toEqual(message);
    expect(parseBusPayload(JSON.stringify({ ...message, userId: undefined }))).toBeNull();
  });
});

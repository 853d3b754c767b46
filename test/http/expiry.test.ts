import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoOversell } from '../support/invariants';
import { capturingLogger } from '../support/log-capture';
import { rawClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

describe('holds expire by themselves (HOLD_TTL_SECONDS=2, no job running)', () => {
  let t: TestService;
  const logs = capturingLogger('info');

  beforeAll(async () => {
    t = await startTestService({ HOLD_TTL_SECONDS: '2' }, { logger: logs.logger });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('frees an overdue hold for the next buyer and refuses to confirm it', async () => {
    const admin = await t.api.adminToken();
    const [first, second] = [
      await t.api.register('first@example.test'),
      await t.api.register('second@example.test'),
    ];
    const concert = await t.api.createConcert(admin, [{ name: 'Last seats', priceCents: 9000, capacity: 2 }]);
    const body = { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 2 };

    const hold = await t.api.request('POST', '/api/reservations', { token: first, body });
    expect(hold.status).toBe(201);
    const expiresIn = new Date(hold.body.reservation.expiresAt).getTime() - Date.now();
    expect(expiresIn).toBeLessThanOrEqual(2_000);
    const soldOut = await t.api.request('POST', '/api/reservations', { token: second, body });
    expect(soldOut.body.error.code).toBe('SOLD_OUT');

    // The input under test is time itself: wait out the hold (HOLD_TTL_SECONDS=2: long enough for the
    // sold-out refusal above to come first on a busy machine), then wait for the freed tickets as a fact.
    await sleep(Math.max(0, expiresIn));
    await expect
      .poll(
        async () => (await t.api.request('GET', `/api/concerts/${concert.id}`)).body.concert.availableTickets,
      )
      .toBe(2);
    const stale = await t.api.request('GET', `/api/reservations/${hold.body.reservation.id}`, {
      token: first,
    });
    expect(stale.body.reservation.status).toBe('expired');
    const confirm = await t.api.request('POST', `/api/reservations/${hold.body.reservation.id}/confirm`, {
      token: first,
    });
    expect(confirm.status).toBe(409);
    expect(confirm.body.error.code).toBe('RESERVATION_EXPIRED');
    const cancel = await t.api.request('DELETE', `/api/reservations/${hold.body.reservation.id}`, {
      token: first,
    });
    expect(cancel.status).toBe(409);

    const next = await t.api.request('POST', '/api/reservations', { token: second, body });
    expect(next.status).toBe(201);
    await expectNoOversell(t.service.services.db);
  });

  it('shows watchers the tickets coming back when a hold runs out, with nothing else happening', async () => {
    const admin = await t.api.adminToken();
    const fan = await t.api.register('timed@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'Timed', priceCents: 100, capacity: 3 }]);
    const watcher = await rawClient(t.service.url);
    const console = await rawClient(t.service.url, admin);
    try {
      watcher.send({ action: 'join-concert', concertId: concert.id });
      console.send({ action: 'join-admin' });
      await watcher.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 3);
      const hold = await t.api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 3 },
      });
      expect(hold.status).toBe(201);
      const held = await watcher.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 0);

      // No request, no job: the service's own timer releases the hold and publishes a newer version.
      const back = await watcher.inbox.next(
        (m) => m.type === 'concert-update' && m.version > held.version,
        5_000,
      );
      expect(back.availableTickets).toBe(3);
      await console.inbox.next((m) => m.event === 'holds-expired' && m.concertId === concert.id, 5_000);
      const stored = await t.api.request('GET', `/api/reservations/${hold.body.reservation.id}`, {
        token: fan,
      });
      expect(stored.body.reservation.status).toBe('expired');
      // The release is traced like a request: its delivery names the sweep that caused it.
      const delivered = () =>
        logs
          .records<{ msg: string; concertId?: string; version?: number; requestIds?: string[] }>()
          .find(
            (line) =>
              line.msg.startsWith('delivered') &&
              line.concertId === concert.id &&
              line.version === back.version,
          );
      await expect
        .poll(() => delivered()?.requestIds)
        .toEqual([expect.stringMatching(/^hold-expiry:[0-9a-f]{8}$/)]);
    } finally {
      watcher.close();
      console.close();
    }
  });
});

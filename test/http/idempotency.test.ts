import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/handlers/http/openapi';
import { startTestService, type TestService } from '../support/test-service';

describe('Idempotency-Key on POST /api/reservations', () => {
  let t: TestService;
  let admin: string;

  beforeAll(async () => {
    t = await startTestService();
    admin = await t.api.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('turns 20 concurrent retries with one key into one reservation', async () => {
    const fan = await t.api.register('retry@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 50 }]);
    const body = { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 2 };

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.api.request('POST', '/api/reservations', {
          token: fan,
          body,
          headers: { 'idempotency-key': 'order-42' },
        }),
      ),
    );

    expect(responses.map((r) => r.status).sort((a, b) => a - b)).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(responses.map((r) => r.body.reservation.id)).size).toBe(1);
    const mine = await t.api.request('GET', '/api/me/reservations', { token: fan });
    expect(mine.body.reservations).toHaveLength(1);
    const after = await t.api.request('GET', `/api/concerts/${concert.id}`);
    expect(after.body.concert.availableTickets).toBe(48);
  });

  it('keeps keys per user: the same key from two users makes two reservations', async () => {
    const [a, b] = [await t.api.register('key-a@example.test'), await t.api.register('key-b@example.test')];
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 5 }]);
    const body = { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 };
    const headers = { 'idempotency-key': 'shared-key' };
    const first = await t.api.request('POST', '/api/reservations', { token: a, body, headers });
    const second = await t.api.request('POST', '/api/reservations', { token: b, body, headers });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.body.reservation.id).not.toBe(second.body.reservation.id);
  });

  // Issue 15 item 8: the same key with a different request is refused, not answered with the first one.
  it('answers the same key with another body 422 IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
    const fan = await t.api.register('reuse@example.test');
    const concert = await t.api.createConcert(admin, [
      { name: 'GA', priceCents: 1000, capacity: 10 },
      { name: 'VIP', priceCents: 5000, capacity: 10 },
    ]);
    const [ga, vip] = concert.tiers.map((tier) => tier.id);
    const headers = { 'idempotency-key': 'order-7' };
    const first = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: ga, quantity: 2 },
      headers,
    });
    expect(first.status).toBe(201);
    const rows = async () => ({
      reservations: await t.service.services.db.query('SELECT * FROM reservations ORDER BY id'),
      tiers: await t.service.services.db.query('SELECT * FROM ticket_tiers ORDER BY id'),
    });
    const before = await rows();

    for (const body of [
      { concertId: concert.id, tierId: ga, quantity: 3 },
      { concertId: concert.id, tierId: vip, quantity: 2 },
    ]) {
      const reused = await t.api.request('POST', '/api/reservations', { token: fan, body, headers });
      expect(reused.status).toBe(422);
      expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    }
    const retry = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id.toUpperCase(), tierId: ga, quantity: 2 },
      headers,
    });
    expect(retry.status).toBe(200);
    expect(retry.body.reservation.id).toBe(first.body.reservation.id);
    expect(await rows()).toEqual(before);
    const after = await t.api.request('GET', `/api/concerts/${concert.id}`);
    expect(after.body.concert.tiers.map((tier: { available: number }) => tier.available)).toEqual([8, 10]);
  });

  it('answers two different bodies sent at once with one key: one 201, one 422', async () => {
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 10 }]);
    const tierId = concert.tiers[0]?.id;
    for (let round = 0; round < 5; round++) {
      const fan = await t.api.register(`race-${round}@example.test`);
      const responses = await Promise.all(
        [1, 2].map((quantity) =>
          t.api.request('POST', '/api/reservations', {
            token: fan,
            body: { concertId: concert.id, tierId, quantity },
            headers: { 'idempotency-key': 'same-key' },
          }),
        ),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([201, 422]);
      const mine = await t.api.request('GET', '/api/me/reservations', { token: fan });
      expect(mine.body.reservations).toHaveLength(1);
    }
  });

  it('documents the 422 of a reused key in the OpenAPI document', () => {
    const paths = openApiDocument().paths as Record<string, any>;
    expect(paths['/api/reservations'].post.responses['422'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
  });

  it('refuses a malformed key without holding anything', async () => {
    const fan = await t.api.register('badkey@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 5 }]);
    const response = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
      headers: { 'idempotency-key': 'x'.repeat(201) },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    // Outside attack: an empty key was taken as "no key" (201); a key is 1–200 printable characters.
    for (const key of ['', ' ', '\t']) {
      const empty = await t.api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
        headers: { 'idempotency-key': key },
      });
      expect(empty.status, JSON.stringify(key)).toBe(400);
    }
    expect((await t.api.request('GET', `/api/concerts/${concert.id}`)).body.concert.availableTickets).toBe(5);
  });
});

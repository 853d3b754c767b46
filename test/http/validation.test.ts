import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Concert } from '../../functions/core/model';
import { startTestService, type TestService } from '../support/test-service';

describe('bad input is refused clearly and changes nothing', () => {
  let t: TestService;
  let fan: string;
  let admin: string;
  let concert: Concert;

  beforeAll(async () => {
    t = await startTestService();
    fan = await t.api.register('validation@example.test');
    admin = await t.api.adminToken();
    concert = await t.api.createConcert(admin, [
      { name: 'GA', priceCents: 1000, capacity: 10, maxPerOrder: 4 },
    ]);
  });
  afterAll(async () => {
    await t?.close();
  });

  const snapshot = async () =>
    t.service.services.db.query(
      `SELECT (SELECT count(*) FROM reservations) AS reservations, (SELECT count(*) FROM users) AS users,
              (SELECT count(*) FROM concerts) AS concerts, (SELECT sum(available) FROM ticket_tiers) AS available,
              (SELECT count(*) FROM tickets) AS tickets`,
    );

  const expectRefused = (response: { status: number; body: any }, status: number, code: string) => {
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(response.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  };

  it('refuses malformed reservation bodies with 400 VALIDATION_FAILED', async () => {
    const before = await snapshot();
    const tierId = concert.tiers[0]?.id;
    const bodies: Array<[string, string]> = [
      ['malformed JSON', '{"concertId": '],
      ['not an object', '[1,2,3]'],
      ['empty object', '{}'],
      ['missing quantity', JSON.stringify({ concertId: concert.id, tierId })],
      ['zero', JSON.stringify({ concertId: concert.id, tierId, quantity: 0 })],
      ['negative', JSON.stringify({ concertId: concert.id, tierId, quantity: -2 })],
      ['fraction', JSON.stringify({ concertId: concert.id, tierId, quantity: 1.5 })],
      ['string', JSON.stringify({ concertId: concert.id, tierId, quantity: '2' })],
      ['huge', JSON.stringify({ concertId: concert.id, tierId, quantity: 1e20 })],
      ['bad id', JSON.stringify({ concertId: 'abc', tierId, quantity: 1 })],
      ['null', 'null'],
    ];
    for (const [label, rawBody] of bodies) {
      const response = await t.api.request('POST', '/api/reservations', {
        token: fan,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status, label).toBe(400);
      expectRefused(response, 400, 'VALIDATION_FAILED');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('answers unknown ids with 404 and over-limit orders with 409, holding nothing', async () => {
    const before = await snapshot();
    const unknown = '00000000-0000-4000-8000-000000000000';
    const tierId = concert.tiers[0]?.id;
    expectRefused(
      await t.api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: unknown, tierId, quantity: 1 },
      }),
      404,
      'NOT_FOUND',
    );
    expectRefused(
      await t.api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId, quantity: 5 },
      }),
      409,
      'LIMIT_EXCEEDED',
    );
    expectRefused(await t.api.request('GET', `/api/concerts/${unknown}`), 404, 'NOT_FOUND');
    expectRefused(await t.api.request('GET', '/api/concerts/not-an-id'), 404, 'NOT_FOUND');
    expectRefused(
      await t.api.request('GET', `/api/reservations/${unknown}`, { token: fan }),
      404,
      'NOT_FOUND',
    );
    expectRefused(
      await t.api.request('POST', '/api/reservations/123/confirm', { token: fan }),
      404,
      'NOT_FOUND',
    );
    expectRefused(await t.api.request('GET', '/api/nowhere'), 404, 'NOT_FOUND');
    expectRefused(await t.api.request('PUT', '/api/concerts'), 405, 'METHOD_NOT_ALLOWED');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses bodies over 64 KB with 413', async () => {
    const before = await snapshot();
    const rawBody = JSON.stringify({ email: 'big@example.test', password: 'x'.repeat(70_000), name: 'Big' });
    expectRefused(
      await t.api.request('POST', '/api/auth/register', {
        rawBody,
        headers: { 'content-type': 'application/json' },
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('refuses bad registrations and concerts, listing what is wrong', async () => {
    const before = await snapshot();
    for (const body of [
      { email: 'not-an-email', password: 'password-1', name: 'X' },
      { email: 'short@example.test', password: 'short', name: 'X' },
      { email: 'noname@example.test', password: 'password-1', name: '   ' },
    ]) {
      expectRefused(await t.api.request('POST', '/api/auth/register', { body }), 400, 'VALIDATION_FAILED');
    }
    const badConcert = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'X',
        artist: 'Y',
        venue: 'Z',
        startsAt: 'tomorrow',
        tiers: [{ name: 'GA', priceCents: -1, capacity: 10 }],
      },
    });
    expectRefused(badConcert, 400, 'VALIDATION_FAILED');
    // One field may fail more than one rule (a date that is neither ISO nor in range): each field once.
    expect([...new Set(badConcert.body.error.details.map((d: { path: string }) => d.path))].sort()).toEqual([
      'startsAt',
      'tiers.0.priceCents',
    ]);
    const noTiers = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: { title: 'X', artist: 'Y', venue: 'Z', startsAt: new Date().toISOString(), tiers: [] },
    });
    expectRefused(noTiers, 400, 'VALIDATION_FAILED');
    expect(await snapshot()).toEqual(before);
  });
});

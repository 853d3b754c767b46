import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/test-service';

/**
 * Every date/time field of a request, in a body or a query, is refused with 400 VALIDATION_FAILED outside
 * CONCERT_LIMITS' range [2000-01-01, 2100-01-01): PostgreSQL cannot store some (year 0000) and answered
 * 500 before. Values at the edges of the range are taken.
 */
describe('date and time fields outside the sane range are 400, never 500', () => {
  let t: TestService;
  let admin: string;
  let concertId: string;

  beforeAll(async () => {
    t = await startTestService();
    admin = await t.api.adminToken();
    concertId = (await t.api.createConcert(admin, [{ name: 'GA', priceCents: 1000, capacity: 5 }])).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const refused = (response: { status: number; body: any }) => {
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
  };

  const badDays = ['0000-01-01', '0001-01-01', '1999-12-31', '2100-01-01', '9999-12-31'];
  it.each(badDays)('GET /api/admin/reports/daily?date=%s', async (date) => {
    refused(await t.api.request('GET', `/api/admin/reports/daily?date=${date}`, { token: admin }));
  });

  it('GET /api/admin/reports/daily takes the first and last days of the range (no report: 404)', async () => {
    for (const date of ['2000-01-01', '2099-12-31']) {
      const response = await t.api.request('GET', `/api/admin/reports/daily?date=${date}`, { token: admin });
      expect(response.status, date).toBe(404);
    }
  });

  const badTimes = [
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00+14:00',
    '1999-12-31T23:59:59.999Z',
    '2000-01-01T00:30:00+01:00',
    '2099-12-31T23:00:00-02:00',
    '2100-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
  ];
  it.each(badTimes)('POST /api/concerts with startsAt %s', async (startsAt) => {
    refused(
      await t.api.request('POST', '/api/concerts', {
        token: admin,
        body: {
          title: 'Out of time',
          artist: 'A',
          venue: 'V',
          startsAt,
          tiers: [{ name: 'GA', priceCents: 1000, capacity: 5 }],
        },
      }),
    );
  });
  it.each(badTimes)('PATCH /api/concerts/{id} with startsAt %s', async (startsAt) => {
    refused(await t.api.request('PATCH', `/api/concerts/${concertId}`, { token: admin, body: { startsAt } }));
  });

  it('PATCH /api/concerts/{id} takes a startsAt at the end of the range', async () => {
    const response = await t.api.request('PATCH', `/api/concerts/${concertId}`, {
      token: admin,
      body: { startsAt: '2099-12-31T23:59:59Z' },
    });
    expect(response.status).toBe(200);
    expect(Date.parse(response.body.concert.startsAt)).toBe(Date.parse('2099-12-31T23:59:59Z'));
  });
});

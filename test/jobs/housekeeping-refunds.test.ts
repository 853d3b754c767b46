import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobReport, runJob } from '../../functions/core/jobs.service';
import { expectNoOversell } from '../support/invariants';
import { createCustomers, startTestService, type TestService } from '../support/test-service';

const DAY = 86_400_000;

/**
 * Weekly housekeeping after a sold concert is cancelled: the cancelled sale keeps its tickets (the refund
 * record), so purging it failed on the tickets' foreign key, every week. Sold-then-cancelled
 * reservations are kept; only holds that never sold are purged.
 */
describe('weekly-housekeeping after a sold concert is cancelled', () => {
  let t: TestService;
  let admin: string;

  beforeAll(async () => {
    t = await startTestService({ TICKETS_PER_USER_LIMIT: '0', HOLDS_PER_USER_LIMIT: '0' });
    admin = await t.api.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  const db = () => t.service.services.db;

  it('purges the old unsold holds and keeps the refund records with their tickets, run after run', async () => {
    const [buyer] = (await createCustomers(t.service, 1)) as [string];
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 2500, capacity: 20 }], {
      title: 'Cancelled Carnival',
      startsAt: new Date(Date.now() + 10 * DAY).toISOString(),
    });
    const reserve = async () => {
      const response = await t.api.request('POST', '/api/reservations', {
        token: buyer,
        body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 2 },
      });
      expect(response.status).toBe(201);
      return response.body.reservation.id as string;
    };
    const sold = await reserve();
    const confirmed = await t.api.request('POST', `/api/reservations/${sold}/confirm`, { token: buyer });
    expect(confirmed.status).toBe(200);
    const held = await reserve();
    const cancelled = await t.api.request('PATCH', `/api/concerts/${concert.id}`, {
      token: admin,
      body: { status: 'cancelled' },
    });
    expect(cancelled.status).toBe(200);
    const statuses = await db().query(
      'SELECT id, status FROM reservations WHERE concert_id = $1 ORDER BY id',
      [concert.id],
    );
    expect(statuses.map((row) => row.status)).toEqual(['cancelled', 'cancelled']);

    // Driven as the scheduler would fire it, 40 and then 47 days later (beyond the 30-day retention).
    const reports: JobReport[] = [];
    for (const days of [40, 47]) {
      reports.push(
        await runJob(t.service.services.jobs, 'weekly-housekeeping', {
          scheduledAt: new Date(Date.now() + days * DAY),
        }),
      );
    }

    expect(reports.map((report) => report.outcome)).toEqual(['succeeded', 'succeeded']);
    expect(reports.map((report) => report.counts.reservations)).toEqual([1, 0]);
    const left = await db().query('SELECT id, status FROM reservations WHERE id IN ($1, $2)', [sold, held]);
    expect(left).toEqual([{ id: sold, status: 'cancelled' }]);
    const tickets = await db().query('SELECT count(*)::integer AS n FROM tickets WHERE reservation_id = $1', [
      sold,
    ]);
    expect(tickets[0]?.n).toBe(2);
    await expectNoOversell(db());
  });
});

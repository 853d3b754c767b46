import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { SqlReservationRepository } from '../../functions/adapters/postgres/sql-reservation-repository';
import { migrate } from '../../functions/db/migrate';
import type { SqlDatabase } from '../../functions/ports/sql-database.port';
import { expectNoOversell } from '../support/invariants';

// Issue 19: holds were batched per tier, so 100 concerts on sale at once made up to 100 small statements
// (one commit each) queueing for the pool, a third of one hot tier's rate. They are batched per lane:
// a few statements, each carrying many tiers.
describe('hold batches go by lane, not by tier', () => {
  let db: SqlDatabase;
  let statements: string[];

  beforeAll(async () => {
    const pglite = await PgliteDatabase.open();
    await migrate(pglite);
    statements = [];
    db = Object.assign(Object.create(pglite) as SqlDatabase, {
      query: (sql: string, params?: unknown[]) => {
        statements.push(sql);
        return pglite.query(sql, params as never);
      },
      close: () => pglite.close(),
    });
  });
  afterAll(async () => {
    await (db as unknown as { close(): Promise<void> })?.close();
  });

  it('100 holds on 100 concerts, sent together, go as at most 4 statements and all succeed', async () => {
    const concerts = new SqlConcertRepository(db);
    const tiers: Array<{ concertId: string; tierId: string }> = [];
    for (let i = 0; i < 100; i++) {
      const concert = await concerts.insert({
        title: `Show ${i}`,
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        status: 'on-sale',
        tiers: [{ name: 'GA', priceCents: 100, currency: 'EUR', capacity: 10, maxPerOrder: 2 }],
      });
      tiers.push({ concertId: concert?.id as string, tierId: concert?.tiers[0]?.id as string });
    }
    const [user] = await db.query(
      `INSERT INTO users (email, name, password_hash, role) VALUES ('fan@x.test', 'Fan', 'x', 'customer') RETURNING id`,
    );
    const reservations = new SqlReservationRepository(db);
    statements.length = 0;
    const outcomes = await Promise.all(
      tiers.map(({ concertId, tierId }) =>
        reservations.hold({
          userId: String(user?.id),
          concertId,
          tierId,
          quantity: 1,
          idempotencyKey: null,
          holdSeconds: 600,
          perUserLimit: 0,
          activeHoldLimit: 0,
        }),
      ),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(tiers.map(() => 'created'));
    const batches = statements.filter((sql) => sql.includes('reserve_tickets_batch'));
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThanOrEqual(4);
    // Each claim answered its own tier's version: 1 at creation, 2 after this one hold.
    for (const outcome of outcomes) {
      if (outcome.kind === 'created') expect(outcome.tierVersionAfter).toBe(2);
    }
    await expectNoOversell(db);
  });
});

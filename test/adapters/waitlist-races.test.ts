import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { SqlMaintenanceRepository } from '../../functions/adapters/postgres/sql-maintenance-repository';
import { SqlReservationRepository } from '../../functions/adapters/postgres/sql-reservation-repository';
import { SqlUserRepository } from '../../functions/adapters/postgres/sql-user-repository';
import { SqlWaitlistRepository } from '../../functions/adapters/postgres/sql-waitlist-repository';
import { migrate } from '../../functions/db/migrate';
import { expectNoOversell } from '../support/invariants';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const ROUNDS = 12;

/**
 * Issue 21's races on real PostgreSQL: an expiry sweep, a cancellation, a capacity raise, a fan joining, a
 * fan leaving and an outsider buying, all at once on one tier with a waiting list. Whatever the
 * interleaving: no deadlock, no ticket offered twice (the ledger adds up, one hold per offer), none left
 * unoffered (afterwards the head of the list does not fit in what is free), and offers in list order.
 */
describe('waiting-list offers under concurrent releases (PostgreSQL)', () => {
  let database: TestDatabase;
  let db: PgDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new PgDatabase({ connectionString: database.url, maxConnections: 12 });
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it(`an expiry, a cancel and a capacity change at once (${ROUNDS} rounds)`, async () => {
    const users = new SqlUserRepository(db);
    const concerts = new SqlConcertRepository(db);
    const reservations = new SqlReservationRepository(db);
    const waitlist = new SqlWaitlistRepository(db);
    const maintenance = new SqlMaintenanceRepository(db);
    let people = 0;
    const person = async () =>
      (
        await users.insert({
          email: `r${++people}@race.test`,
          name: 'R',
          passwordHash: 'h',
          role: 'customer',
        })
      )?.id as string;

    for (let round = 0; round < ROUNDS; round++) {
      const concert = await concerts.insert({
        title: `Race ${round}`,
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        status: 'on-sale',
        tiers: [{ name: 'GA', priceCents: 100, currency: 'EUR', capacity: 6, maxPerOrder: 3 }],
      });
      const concertId = concert?.id as string;
      const tierId = concert?.tiers[0]?.id as string;
      const holds: string[] = [];
      for (const quantity of [2, 2, 1, 1]) {
        const outcome = await reservations.hold({
          userId: await person(),
          concertId,
          tierId,
          quantity,
          idempotencyKey: null,
          holdSeconds: 600,
          perUserLimit: 0,
          activeHoldLimit: 0,
        });
        if (outcome.kind !== 'created') throw new Error(outcome.kind);
        holds.push(outcome.reservation.id);
      }
      const fans: string[] = [];
      for (let i = 0; i < 5; i++) {
        const userId = await person();
        fans.push(userId);
        const joined = await waitlist.join({
          userId,
          concertId,
          tierId,
          quantity: 1 + ((round + i) % 3),
          perUserLimit: 0,
          offerSeconds: 600,
        });
        expect(joined.kind).toBe('created');
      }
      await db.query(
        `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id IN ($1, $2)`,
        [holds[0] as string, holds[2] as string],
      );

      const outsider = await person();
      const results = await Promise.allSettled([
        maintenance.releaseOverdueHolds(),
        reservations.cancel(holds[1] as string, null),
        concerts.update(concertId, { tierChanges: [{ id: tierId, capacity: 8 }], newTiers: [] }),
        waitlist.join({
          userId: await person(),
          concertId,
          tierId,
          quantity: 1,
          perUserLimit: 0,
          offerSeconds: 600,
        }),
        waitlist.leave(fans[round % 5] as string, concertId, tierId),
        reservations.hold({
          userId: outsider,
          concertId,
          tierId,
          quantity: 1,
          idempotencyKey: null,
          holdSeconds: 600,
          perUserLimit: 0,
          activeHoldLimit: 0,
        }),
      ]);
      for (const result of results)
        expect(result.status, result.status === 'rejected' ? String(result.reason) : '').toBe('fulfilled');

      // Nothing overdue is left to sweep; the state is settled.
      await maintenance.releaseOverdueHolds();
      await expectNoOversell(db);
      const entries = await db.query<{
        seq: string;
        status: string;
        quantity: number;
        user_id: string;
        reservation_id: string | null;
        r_user: string | null;
        r_quantity: number | null;
      }>(
        `SELECT e.seq, waitlist_status(e.status, r.status, r.expires_at) AS status, e.quantity, e.user_id,
                e.reservation_id, r.user_id AS r_user, r.quantity AS r_quantity
           FROM waitlist_entries e LEFT JOIN reservations r ON r.id = e.reservation_id
          WHERE e.tier_id = $1 ORDER BY e.seq`,
        [tierId],
      );
      // One hold per offer, for that fan and quantity; no hold offered to two entries.
      const offers = entries.filter((e) => e.reservation_id !== null);
      expect(new Set(offers.map((e) => e.reservation_id)).size).toBe(offers.length);
      for (const offer of offers) {
        expect(offer.r_user).toBe(offer.user_id);
        expect(offer.r_quantity).toBe(offer.quantity);
      }
      // Strict order: every offer went to someone ahead of everyone still waiting.
      const waiting = entries.filter((e) => e.status === 'waiting');
      const lastOffered = Math.max(0, ...offers.map((e) => Number(e.seq)));
      for (const entry of waiting) expect(Number(entry.seq)).toBeGreaterThan(lastOffered);
      // Nothing left unoffered: the head does not fit in what is free; with nobody waiting it is on sale.
      const [tier] = await db.query<{ available: number }>(
        'SELECT available FROM ticket_tiers WHERE id = $1',
        [tierId],
      );
      if (waiting[0]) expect(waiting[0].quantity).toBeGreaterThan(tier?.available ?? 0);
      const shown = (await concerts.get(concertId))?.tiers[0]?.available;
      expect(shown).toBe(waiting.length > 0 ? 0 : tier?.available);
    }
  });

  it('two releases at once never offer one ticket twice nor skip a fan', async () => {
    const users = new SqlUserRepository(db);
    const concerts = new SqlConcertRepository(db);
    const reservations = new SqlReservationRepository(db);
    const waitlist = new SqlWaitlistRepository(db);
    for (let round = 0; round < ROUNDS; round++) {
      const concert = await concerts.insert({
        title: `Pair ${round}`,
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        status: 'on-sale',
        tiers: [{ name: 'GA', priceCents: 100, currency: 'EUR', capacity: 2, maxPerOrder: 2 }],
      });
      const concertId = concert?.id as string;
      const tierId = concert?.tiers[0]?.id as string;
      const newUser = async (name: string) =>
        (
          await users.insert({
            email: `${name}${round}@pair.test`,
            name,
            passwordHash: 'h',
            role: 'customer',
          })
        )?.id as string;
      const holds = [];
      for (const name of ['a', 'b']) {
        const outcome = await reservations.hold({
          userId: await newUser(name),
          concertId,
          tierId,
          quantity: 1,
          idempotencyKey: null,
          holdSeconds: 600,
          perUserLimit: 0,
          activeHoldLimit: 0,
        });
        holds.push(outcome.kind === 'created' ? outcome.reservation.id : '');
      }
      const fans = [await newUser('f'), await newUser('g'), await newUser('h')];
      for (const userId of fans)
        await waitlist.join({ userId, concertId, tierId, quantity: 1, perUserLimit: 0, offerSeconds: 600 });

      await Promise.all(holds.map((id) => reservations.cancel(id, null)));

      const statuses = await Promise.all(fans.map(async (f) => (await waitlist.listByUser(f))[0]?.status));
      expect(statuses).toEqual(['offered', 'offered', 'waiting']);
      await expectNoOversell(db);
    }
  });
});

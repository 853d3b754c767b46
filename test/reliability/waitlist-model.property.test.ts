import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { SqlMaintenanceRepository } from '../../functions/adapters/postgres/sql-maintenance-repository';
import { SqlReservationRepository } from '../../functions/adapters/postgres/sql-reservation-repository';
import { SqlUserRepository } from '../../functions/adapters/postgres/sql-user-repository';
import { SqlWaitlistRepository } from '../../functions/adapters/postgres/sql-waitlist-repository';
import { newTicketCode } from '../../functions/core/ticket-codes';
import { migrate } from '../../functions/db/migrate';
import { expectNoOversell } from '../support/invariants';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const FANS = 4;
const MAX_PER_ORDER = 3;

type Command =
  | { op: 'hold'; fan: number; quantity: number }
  | { op: 'join'; fan: number; quantity: number }
  | { op: 'leave'; fan: number }
  | { op: 'confirm' | 'cancel' | 'run-out'; pick: number }
  | { op: 'sweep' }
  | { op: 'raise'; by: number };

const fan = fc.nat(FANS - 1);
const quantity = fc.integer({ min: 1, max: MAX_PER_ORDER });
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('hold' as const), fan, quantity }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('join' as const), fan, quantity }), weight: 3 },
  fc.record({ op: fc.constant('leave' as const), fan }),
  fc.record({
    op: fc.constantFrom('confirm' as const, 'cancel' as const, 'run-out' as const),
    pick: fc.nat(),
  }),
  fc.record({ op: fc.constant('sweep' as const) }),
  fc.record({ op: fc.constant('raise' as const), by: fc.integer({ min: 1, max: 2 }) }),
);

type HoldStatus = 'held' | 'confirmed' | 'expired' | 'cancelled';
interface ModelHold {
  owner: string;
  quantity: number;
  status: HoldStatus;
  /** Run out but not yet swept: still counted in the tier's stored books, free to readers. */
  overdue: boolean;
}
interface ModelEntry {
  id: string;
  owner: string;
  quantity: number;
  status: 'waiting' | 'offered' | 'left';
  holdId: string | null;
}

/**
 * Any interleaving of sales, joins, leaves, confirms, cancels, holds running out, sweeps and capacity raises
 * against the real SQL, compared with a model of the waiting-list rules: released tickets go to the head of
 * the list while it fits (strict order), the open market is closed while anyone waits, an offer that runs
 * out passes on, and the books add up.
 */
describe('waiting lists against a model (fast-check, real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: PgDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new PgDatabase({ connectionString: database.url, maxConnections: 4 });
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('agrees with the model after every step', async () => {
    const users = new SqlUserRepository(db);
    const concerts = new SqlConcertRepository(db);
    const reservations = new SqlReservationRepository(db, { batchHolds: false });
    const waitlist = new SqlWaitlistRepository(db);
    const maintenance = new SqlMaintenanceRepository(db);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: 40, size: 'max' }), async (commands) => {
        runs++;
        const fans = await Promise.all(
          Array.from(
            { length: FANS },
            async (_, i) =>
              (
                await users.insert({
                  email: `m${runs}-${i}@wl-model.test`,
                  name: 'M',
                  passwordHash: 'h',
                  role: 'customer',
                })
              )?.id as string,
          ),
        );
        const concert = await concerts.insert({
          title: `Model ${runs}`,
          artist: 'A',
          venue: 'V',
          startsAt: new Date(Date.now() + 86_400_000).toISOString(),
          status: 'on-sale',
          tiers: [{ name: 'GA', priceCents: 100, currency: 'EUR', capacity: 4, maxPerOrder: MAX_PER_ORDER }],
        });
        const concertId = concert?.id as string;
        const tierId = concert?.tiers[0]?.id as string;
        let capacity = 4;
        const holds = new Map<string, ModelHold>();
        const holdIds: string[] = [];
        const entries: ModelEntry[] = [];

        const taken = (countOverdue: boolean) =>
          [...holds.values()]
            .filter((h) => h.status === 'confirmed' || (h.status === 'held' && (countOverdue || !h.overdue)))
            .reduce((sum, h) => sum + h.quantity, 0);
        const freeSwept = () => capacity - taken(true);
        const freeToReaders = () => capacity - taken(false);
        const waiting = () => entries.filter((e) => e.status === 'waiting');
        const liveEntry = (owner: string) =>
          entries.find(
            (e) =>
              e.owner === owner &&
              (e.status === 'waiting' ||
                (e.status === 'offered' &&
                  holds.get(e.holdId ?? '')?.status === 'held' &&
                  !holds.get(e.holdId ?? '')?.overdue)),
          );
        const sweep = () => {
          for (const h of holds.values())
            if (h.status === 'held' && h.overdue) {
              h.status = 'expired';
              h.overdue = false;
            }
        };
        /** The offers the database makes: the head, while it fits; learns each hold's id from the database. */
        const offer = async () => {
          for (let head = waiting()[0]; head && head.quantity <= freeSwept(); head = waiting()[0]) {
            const [stored] = (await waitlist.listByUser(head.owner)).filter((e) => e.id === head?.id);
            expect(stored?.status, 'the head is offered').toBe('offered');
            const holdId = stored?.reservation?.id as string;
            head.status = 'offered';
            head.holdId = holdId;
            holds.set(holdId, { owner: head.owner, quantity: head.quantity, status: 'held', overdue: false });
            holdIds.push(holdId);
          }
        };

        for (const c of commands) {
          if (c.op === 'hold') {
            const owner = fans[c.fan] as string;
            const outcome = await reservations.hold({
              userId: owner,
              concertId,
              tierId,
              quantity: c.quantity,
              idempotencyKey: null,
              holdSeconds: 600,
              perUserLimit: 0,
              activeHoldLimit: 0,
            });
            if (waiting().length === 0 && freeToReaders() >= c.quantity) {
              expect(outcome.kind).toBe('created');
              // Short of swept tickets, the sale swept the tier's overdue holds first.
              if (freeSwept() < c.quantity) sweep();
              if (outcome.kind === 'created') {
                holds.set(outcome.reservation.id, {
                  owner,
                  quantity: c.quantity,
                  status: 'held',
                  overdue: false,
                });
                holdIds.push(outcome.reservation.id);
              }
            } else {
              const shown = waiting().length > 0 ? 0 : freeToReaders();
              expect(outcome.kind).toBe(shown === 0 ? 'sold-out' : 'insufficient');
            }
          } else if (c.op === 'join') {
            const owner = fans[c.fan] as string;
            const outcome = await waitlist.join({
              userId: owner,
              concertId,
              tierId,
              quantity: c.quantity,
              perUserLimit: 0,
              offerSeconds: 600,
            });
            const live = liveEntry(owner);
            if (live) {
              expect(outcome).toMatchObject({ kind: 'existing', entry: { id: live.id } });
            } else if (waiting().length === 0 && freeToReaders() > 0) {
              // Any free ticket refuses the join (a fan may not close the tier's last tickets by asking more).
              expect(outcome.kind).toBe('tier-available');
            } else {
              expect(outcome).toMatchObject({ kind: 'created', entry: { position: waiting().length + 1 } });
              if (outcome.kind === 'created')
                entries.push({
                  id: outcome.entry.id,
                  owner,
                  quantity: c.quantity,
                  status: 'waiting',
                  holdId: null,
                });
            }
          } else if (c.op === 'leave') {
            const owner = fans[c.fan] as string;
            const live = liveEntry(owner);
            const left = await waitlist.leave(owner, concertId, tierId);
            if (!live) expect(left).toBeNull();
            else {
              expect(left).toMatchObject({ id: live.id, status: 'left' });
              const offered = holds.get(live.holdId ?? '');
              if (offered) offered.status = 'cancelled';
              live.status = 'left';
              await offer();
            }
          } else if (c.op === 'sweep') {
            await maintenance.releaseOverdueHolds();
            sweep();
            await offer();
          } else if (c.op === 'raise') {
            const outcome = await concerts.update(concertId, {
              tierChanges: [{ id: tierId, capacity: capacity + c.by }],
              newTiers: [],
            });
            expect(outcome.kind).toBe('updated');
            sweep(); // a capacity change sweeps the tier first
            capacity += c.by;
            await offer();
          } else if (holdIds.length > 0) {
            const id = holdIds[c.pick % holdIds.length] as string;
            const h = holds.get(id) as ModelHold;
            const seen: HoldStatus = h.status === 'held' && h.overdue ? 'expired' : h.status;
            if (c.op === 'run-out') {
              await db.query(
                `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1 AND status = 'held'`,
                [id],
              );
              if (h.status === 'held') h.overdue = true;
            } else if (c.op === 'confirm') {
              const outcome = await reservations.confirm(
                id,
                h.owner,
                Array.from({ length: h.quantity }, newTicketCode),
              );
              if (seen === 'held' || seen === 'confirmed') {
                expect(outcome.kind).toBe('confirmed');
                h.status = 'confirmed';
              } else expect(outcome.kind === 'refused' && outcome.reservation.status).toBe(seen);
            } else {
              const outcome = await reservations.cancel(id, h.owner);
              if (seen === 'held' || seen === 'cancelled') {
                expect(outcome.kind).toBe('cancelled');
                h.status = 'cancelled';
                await offer();
              } else expect(outcome.kind === 'refused' && outcome.reservation.status).toBe(seen);
            }
          }

          // Every hold and every entry as the model says; the books add up; readers see the list's claim.
          for (const [id, h] of holds) {
            const expected = h.status === 'held' && h.overdue ? 'expired' : h.status;
            expect((await reservations.find(id, null))?.status, `hold ${id}`).toBe(expected);
          }
          const stored = new Map(
            (await Promise.all(fans.map((f) => waitlist.listByUser(f)))).flat().map((e) => [e.id, e]),
          );
          for (const e of entries) {
            const h = holds.get(e.holdId ?? '');
            const expected =
              e.status !== 'offered' || !h
                ? e.status
                : h.status === 'confirmed'
                  ? 'claimed'
                  : h.status === 'cancelled'
                    ? 'left'
                    : h.status === 'expired' || h.overdue
                      ? 'expired'
                      : 'offered';
            expect(stored.get(e.id)?.status, `entry ${e.id}`).toBe(expected);
          }
          const ledger = (await expectNoOversell(db)).find((l) => l.tierId === tierId);
          expect(ledger?.effectiveAvailable).toBe(freeToReaders());
          expect((await concerts.get(concertId))?.tiers[0]?.available).toBe(
            waiting().length > 0 ? 0 : freeToReaders(),
          );
        }
      }),
      { numRuns: 40 },
    );
    console.log(`waiting-list model: ${runs} generated histories checked`);
  });
});

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { SqlReservationRepository } from '../../functions/adapters/postgres/sql-reservation-repository';
import { SqlUserRepository } from '../../functions/adapters/postgres/sql-user-repository';
import { newTicketCode } from '../../functions/core/ticket-codes';
import { migrate } from '../../functions/db/migrate';
import { expectNoOversell } from '../support/invariants';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

type Command =
  | { op: 'hold'; user: number; quantity: number; key: number | null }
  | { op: 'confirm'; pick: number }
  | { op: 'cancel'; pick: number }
  | { op: 'expire'; pick: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    op: fc.constant('hold' as const),
    user: fc.nat(2),
    quantity: fc.integer({ min: 1, max: 3 }),
    key: fc.option(fc.nat(3)),
  }),
  fc.record({ op: fc.constant('confirm' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('expire' as const), pick: fc.nat() }),
);

/**
 * Any interleaving of hold / confirm / cancel / expire / retried hold against the real SQL, compared with
 * a model a child could check: each reservation's status, and tickets taken = held (live) + confirmed.
 */
describe('the reservation state machine against a simple model (fast-check, real PostgreSQL)', () => {
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

  it('keeps the invariants and agrees with the model', async () => {
    const users = new SqlUserRepository(db);
    const concerts = new SqlConcertRepository(db);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 25 }),
        fc.boolean(),
        async (commands, batchHolds) => {
          runs++;
          const reservations = new SqlReservationRepository(db, { batchHolds });
          const people = await Promise.all(
            [0, 1, 2].map(
              async (i) =>
                (
                  await users.insert({
                    email: `p${runs}-${i}@model.test`,
                    name: 'P',
                    passwordHash: 'h',
                    role: 'customer',
                  })
                )?.id as string,
            ),
          );
          const concert = await concerts.insert({
            title: 'Model',
            artist: 'A',
            venue: 'V',
            startsAt: new Date(Date.now() + 86_400_000).toISOString(),
            status: 'on-sale',
            tiers: [{ name: 'GA', priceCents: 100, currency: 'USD', capacity: 6, maxPerOrder: 3 }],
          });
          const tierId = concert?.tiers[0]?.id as string;
          const model = new Map<
            string,
            {
              owner: string;
              quantity: number;
              status: 'held' | 'confirmed' | 'expired' | 'cancelled';
              key: string | null;
            }
          >();
          const ids: string[] = [];
          const free = () =>
            6 -
            [...model.values()]
              .filter((r) => r.status === 'held' || r.status === 'confirmed')
              .reduce((s, r) => s + r.quantity, 0);

          for (const c of commands) {
            if (c.op === 'hold') {
              const owner = people[c.user] as string;
              const key = c.key === null ? null : `k${c.key}`;
              const replay = key
                ? [...model.entries()].find(([, r]) => r.owner === owner && r.key === key)
                : undefined;
              const outcome = await reservations.hold({
                userId: owner,
                concertId: concert?.id as string,
                tierId,
                quantity: c.quantity,
                idempotencyKey: key,
                holdSeconds: 600,
                perUserLimit: 0,
                activeHoldLimit: 0,
              });
              if (replay && replay[1].quantity === c.quantity) {
                expect(outcome.kind).toBe('existing');
                if (outcome.kind === 'existing') expect(outcome.reservation.id).toBe(replay[0]);
              } else if (replay) {
                // The same key with another body is a client's mistake, refused without effect (API.md: 422).
                expect(outcome.kind).toBe('key-reused');
              } else if (free() >= c.quantity) {
                expect(outcome.kind).toBe('created');
                if (outcome.kind === 'created') {
                  model.set(outcome.reservation.id, { owner, quantity: c.quantity, status: 'held', key });
                  ids.push(outcome.reservation.id);
                }
              } else {
                expect(outcome.kind).toBe(free() === 0 ? 'sold-out' : 'insufficient');
              }
            } else if (ids.length > 0) {
              const id = ids[c.pick % ids.length] as string;
              const r = model.get(id);
              if (!r) continue;
              if (c.op === 'expire') {
                await db.query(
                  `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1 AND status = 'held'`,
                  [id],
                );
                if (r.status === 'held') r.status = 'expired';
              } else if (c.op === 'confirm') {
                const outcome = await reservations.confirm(
                  id,
                  r.owner,
                  Array.from({ length: r.quantity }, newTicketCode),
                );
                if (r.status === 'held' || r.status === 'confirmed') {
                  expect(outcome.kind).toBe('confirmed');
                  r.status = 'confirmed';
                } else expect(outcome.kind === 'refused' && outcome.reservation.status).toBe(r.status);
              } else {
                const outcome = await reservations.cancel(id, r.owner);
                if (r.status === 'held' || r.status === 'cancelled') {
                  expect(outcome.kind).toBe('cancelled');
                  r.status = 'cancelled';
                } else expect(outcome.kind === 'refused' && outcome.reservation.status).toBe(r.status);
              }
            }
            for (const [id, r] of model)
              expect((await reservations.find(id, null))?.status, id).toBe(r.status);
          }
          const ledger = (await expectNoOversell(db)).find((l) => l.tierId === tierId);
          expect(ledger?.effectiveAvailable).toBe(free());
        },
      ),
      { numRuns: 40 },
    );
    console.log(`reservation model: ${runs} generated histories checked`);
  });
});

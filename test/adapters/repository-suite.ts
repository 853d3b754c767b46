import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { SqlReservationRepository } from '../../functions/adapters/postgres/sql-reservation-repository';
import { SqlUserRepository } from '../../functions/adapters/postgres/sql-user-repository';
import { newTicketCode } from '../../functions/core/ticket-codes';
import { migrate } from '../../functions/db/migrate';
import type { HoldRequest } from '../../functions/ports/reservation.repository.port';
import type { SqlDatabase } from '../../functions/ports/sql-database.port';
import { expectNoOversell } from '../support/invariants';

export interface SuiteDatabase {
  db: SqlDatabase;
  dispose(): Promise<void>;
}

/** Every row a reservation path may touch, in a stable order: compared before and after a refusal. */
const snapshot = async (db: SqlDatabase) => ({
  tiers: await db.query('SELECT * FROM ticket_tiers ORDER BY id'),
  reservations: await db.query('SELECT * FROM reservations ORDER BY id'),
  tickets: await db.query('SELECT * FROM tickets ORDER BY id'),
  concerts: await db.query('SELECT * FROM concerts ORDER BY id'),
});
const inAWeek = () => new Date(Date.now() + 7 * 86_400_000).toISOString();
const codes = (n: number) => Array.from({ length: n }, newTicketCode);

/** One suite for every driver behind the SqlDatabase port: the SQL must mean the same on each. */
export function repositorySuite(driver: string, open: () => Promise<SuiteDatabase>): void {
  describe(`SQL repositories on ${driver}`, () => {
    let suite: SuiteDatabase;
    let users: SqlUserRepository;
    let concerts: SqlConcertRepository;
    let reservations: SqlReservationRepository;

    beforeAll(async () => {
      suite = await open();
      // Other migrations come and go with other features; these are the ones this suite relies on.
      expect(await migrate(suite.db)).toEqual(
        expect.arrayContaining([
          '001_core.sql',
          '002_jobs.sql',
          '003_hold_batches.sql',
          '004_reservation_refusals.sql',
          '006_hold_vs_cancel.sql',
        ]),
      );
      users = new SqlUserRepository(suite.db);
      concerts = new SqlConcertRepository(suite.db);
      reservations = new SqlReservationRepository(suite.db);
    });
    afterAll(async () => {
      await suite?.dispose();
    });

    let userCount = 0;
    const newUser = async () => {
      const user = await users.insert({
        email: `u${++userCount}@x.test`,
        name: 'U',
        passwordHash: 'h',
        role: 'customer',
      });
      if (!user) throw new Error('insert failed');
      return user.id;
    };
    const newConcert = async (capacity = 5, maxPerOrder = 4) => {
      const concert = await concerts.insert({
        title: 'T',
        artist: 'A',
        venue: 'V',
        startsAt: inAWeek(),
        status: 'on-sale',
        tiers: [
          { name: 'GA', priceCents: 2500, currency: 'EUR', capacity, maxPerOrder },
          { name: 'VIP', priceCents: 9900, currency: 'EUR', capacity: 2, maxPerOrder: 2 },
        ],
      });
      if (!concert?.tiers[0]) throw new Error('concert insert failed');
      return { concertId: concert.id, tierId: concert.tiers[0].id, concert };
    };
    const holdRequest = (
      over: Partial<HoldRequest> & Pick<HoldRequest, 'userId' | 'concertId' | 'tierId'>,
    ): HoldRequest => ({
      quantity: 1,
      idempotencyKey: null,
      holdSeconds: 600,
      perUserLimit: 0,
      activeHoldLimit: 0,
      ...over,
    });
    const makeOverdue = (reservationId: string) =>
      suite.db.query(`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        reservationId,
      ]);

    it('applies the migrations once', async () => {
      expect(await migrate(suite.db)).toEqual([]);
    });

    it('keeps e-mails unique regardless of case', async () => {
      const first = await users.insert({
        email: 'Case@X.test',
        name: 'C',
        passwordHash: 'h',
        role: 'customer',
      });
      expect(first?.role).toBe('customer');
      expect(
        await users.insert({ email: 'case@x.TEST', name: 'C', passwordHash: 'h', role: 'customer' }),
      ).toBeNull();
      expect((await users.findByEmail('CASE@x.test'))?.passwordHash).toBe('h');
      const admin = await users.upsertAdmin({ email: 'case@x.test', name: 'C', passwordHash: 'h2' });
      expect(admin).toMatchObject({ id: first?.id, role: 'admin' });
    });

    it('answers concurrent account standings, read together, each with its own account', async () => {
      const [staff, fan] = await Promise.all([
        users.insert({ email: 'standing-staff@x.test', name: 'S', passwordHash: 'h', role: 'staff' }),
        users.insert({ email: 'standing-fan@x.test', name: 'F', passwordHash: 'h', role: 'customer' }),
      ]);
      if (!staff || !fan) throw new Error('insert failed');
      await users.updateAccount({
        email: 'standing-fan@x.test',
        name: 'F',
        passwordHash: 'h2',
        role: 'customer',
      });
      const unknown = '00000000-0000-4000-8000-000000000000';
      expect(
        await Promise.all([
          users.standing(staff.id),
          users.standing(fan.id.toUpperCase()),
          users.standing(unknown),
          users.standing('not-a-uuid'),
          users.standing(staff.id),
        ]),
      ).toEqual([
        { role: 'staff', tokenVersion: 0 },
        { role: 'customer', tokenVersion: 1 },
        null,
        null,
        { role: 'staff', tokenVersion: 0 },
      ]);
    });

    it('stores concerts with ordered tiers and refuses duplicate tier names', async () => {
      const { concert } = await newConcert(5);
      expect(concert).toMatchObject({ status: 'on-sale', availableTickets: 7, totalBooked: 0 });
      expect(concert.tiers.map((t) => [t.name, t.priceCents, t.currency, t.available])).toEqual([
        ['GA', 2500, 'EUR', 5],
        ['VIP', 9900, 'EUR', 2],
      ]);
      expect((await concerts.list()).some((c) => c.id === concert.id)).toBe(true);
      const duplicate = await concerts.insert({
        ...concert,
        tiers: [
          { name: 'X', priceCents: 1, currency: 'USD', capacity: 1, maxPerOrder: 1 },
          { name: 'X', priceCents: 1, currency: 'USD', capacity: 1, maxPerOrder: 1 },
        ],
      });
      expect(duplicate).toBeNull();
    });

    it('holds, confirms into unique tickets, and confirms idempotently', async () => {
      const userId = await newUser();
      const { concertId, tierId } = await newConcert(5);
      const held = await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 3 }));
      expect(held.kind).toBe('created');
      if (held.kind !== 'created') return;
      expect(held.reservation).toMatchObject({
        status: 'held',
        quantity: 3,
        totalCents: 7500,
        currency: 'EUR',
      });
      expect(new Date(held.reservation.expiresAt).getTime()).toBeGreaterThan(Date.now() + 500_000);

      const first = await reservations.confirm(held.reservation.id, userId, codes(3));
      expect(first.kind).toBe('confirmed');
      if (first.kind !== 'confirmed') return;
      expect(first.tickets).toHaveLength(3);
      expect(new Set(first.tickets.map((t) => t.code)).size).toBe(3);
      const again = await reservations.confirm(held.reservation.id, userId, codes(3));
      expect(again.kind === 'confirmed' && again.tickets.map((t) => t.code)).toEqual(
        first.tickets.map((t) => t.code),
      );
      expect(await reservations.listTicketsByUser(userId)).toHaveLength(3);
      expect((await concerts.get(concertId))?.tiers[0]?.available).toBe(2);
      await expectNoOversell(suite.db);
    });

    it('answers each refusal with its own outcome', async () => {
      const userId = await newUser();
      const { concertId, tierId } = await newConcert(3, 2);
      expect((await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 3 }))).kind).toBe(
        'order-limit',
      );
      expect(
        await reservations.hold(holdRequest({ userId, concertId, tierId: concertId, quantity: 1 })),
      ).toEqual({ kind: 'not-found' });
      expect((await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 2 }))).kind).toBe(
        'created',
      );
      expect(await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 2 }))).toEqual({
        kind: 'insufficient',
        available: 1,
      });
      expect(
        await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 1, perUserLimit: 2 })),
      ).toEqual({
        kind: 'user-limit',
        limit: 2,
        current: 2,
      });
      expect((await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 1 }))).kind).toBe(
        'created',
      );
      expect(await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 1 }))).toEqual({
        kind: 'sold-out',
      });
      await expectNoOversell(suite.db);
    });

    it('caps the holds one user may have open at once, over all concerts', async () => {
      const userId = await newUser();
      const first = await newConcert(5);
      const second = await newConcert(5);
      const hold = (c: { concertId: string; tierId: string }) =>
        reservations.hold(
          holdRequest({ userId, concertId: c.concertId, tierId: c.tierId, activeHoldLimit: 2 }),
        );
      expect((await hold(first)).kind).toBe('created');
      const open = await hold(second);
      expect(open.kind).toBe('created');
      expect(await hold(first)).toEqual({ kind: 'hold-limit', limit: 2, current: 2 });
      if (open.kind === 'created') await reservations.confirm(open.reservation.id, userId, codes(1));
      expect((await hold(second)).kind).toBe('created');
    });

    it('returns the same reservation for the same idempotency key', async () => {
      const userId = await newUser();
      const { concertId, tierId } = await newConcert(5);
      const request = holdRequest({ userId, concertId, tierId, quantity: 2, idempotencyKey: 'key-1' });
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => reservations.hold(request)));
      const ids = new Set(
        outcomes.map((o) => (o.kind === 'created' || o.kind === 'existing' ? o.reservation.id : o.kind)),
      );
      expect(ids.size).toBe(1);
      expect(outcomes.filter((o) => o.kind === 'created')).toHaveLength(1);
      expect((await concerts.get(concertId))?.tiers[0]?.available).toBe(3);
    });

    it('counts overdue holds as free before any sweep, and refuses to confirm them', async () => {
      const [alice, bob] = [await newUser(), await newUser()];
      const { concertId, tierId } = await newConcert(2);
      const held = await reservations.hold(holdRequest({ userId: alice, concertId, tierId, quantity: 2 }));
      if (held.kind !== 'created') throw new Error(held.kind);
      expect((await concerts.get(concertId))?.tiers[0]?.available).toBe(0);
      await makeOverdue(held.reservation.id);

      expect((await concerts.get(concertId))?.tiers[0]?.available).toBe(2);
      expect((await reservations.find(held.reservation.id, alice))?.status).toBe('expired');
      const refused = await reservations.confirm(held.reservation.id, alice, codes(2));
      expect(refused.kind === 'refused' && refused.reservation.status).toBe('expired');
      await expectNoOversell(suite.db);

      const next = await reservations.hold(holdRequest({ userId: bob, concertId, tierId, quantity: 2 }));
      expect(next.kind).toBe('created');
      await expectNoOversell(suite.db);
    });

    it('cancels a hold, gives its tickets back, and cancels idempotently', async () => {
      const userId = await newUser();
      const stranger = await newUser();
      const { concertId, tierId } = await newConcert(4);
      const held = await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 3 }));
      if (held.kind !== 'created') throw new Error(held.kind);
      expect(await reservations.cancel(held.reservation.id, stranger)).toEqual({ kind: 'not-found' });
      const cancelled = await reservations.cancel(held.reservation.id, userId);
      expect(cancelled.kind === 'cancelled' && cancelled.reservation.status).toBe('cancelled');
      expect((await reservations.cancel(held.reservation.id, null)).kind).toBe('cancelled');
      expect((await concerts.get(concertId))?.tiers[0]?.available).toBe(4);
      const confirm = await reservations.confirm(held.reservation.id, userId, codes(3));
      expect(confirm.kind === 'refused' && confirm.reservation.status).toBe('cancelled');
      await expectNoOversell(suite.db);
    });

    it('refuses to cancel a confirmed reservation', async () => {
      const userId = await newUser();
      const { concertId, tierId } = await newConcert(4);
      const held = await reservations.hold(holdRequest({ userId, concertId, tierId }));
      if (held.kind !== 'created') throw new Error(held.kind);
      await reservations.confirm(held.reservation.id, userId, codes(1));
      const outcome = await reservations.cancel(held.reservation.id, userId);
      expect(outcome.kind === 'refused' && outcome.reservation.status).toBe('confirmed');
    });

    it('changes capacity only down to what is booked, and adds tiers', async () => {
      const userId = await newUser();
      const { concertId, tierId } = await newConcert(5);
      await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 3 }));
      expect(
        await concerts.update(concertId, { tierChanges: [{ id: tierId, capacity: 2 }], newTiers: [] }),
      ).toEqual({
        kind: 'capacity-below-booked',
        tierId,
        booked: 3,
      });
      const grown = await concerts.update(concertId, {
        title: 'Renamed',
        tierChanges: [{ id: tierId, capacity: 10, priceCents: 3000 }],
        newTiers: [{ name: 'Balcony', priceCents: 1000, currency: 'EUR', capacity: 7, maxPerOrder: 5 }],
      });
      expect(grown.kind).toBe('updated');
      if (grown.kind !== 'updated') return;
      expect(grown.concert.title).toBe('Renamed');
      expect(grown.concert.tiers.map((t) => [t.name, t.capacity, t.available])).toEqual([
        ['GA', 10, 7],
        ['VIP', 2, 2],
        ['Balcony', 7, 7],
      ]);
      expect(await concerts.update(concertId, { tierChanges: [{ id: userId }], newTiers: [] })).toEqual({
        kind: 'unknown-tier',
        tierId: userId,
      });
      expect((await concerts.update(userId, { tierChanges: [], newTiers: [] })).kind).toBe('not-found');
      await expectNoOversell(suite.db);
    });

    it.each([
      ['batched per tier', true],
      ['one statement per request', false],
    ])('never sells more than capacity under concurrent holds (%s)', async (_label, batchHolds) => {
      const repository = new SqlReservationRepository(suite.db, { batchHolds });
      const buyers = await Promise.all(Array.from({ length: 20 }, newUser));
      const { concertId, tierId } = await newConcert(25, 4);
      const outcomes = await Promise.all(
        buyers.flatMap((userId, i) =>
          [1, 2].map(() =>
            repository.hold(holdRequest({ userId, concertId, tierId, quantity: (i % 3) + 1 })),
          ),
        ),
      );
      const sold = outcomes.reduce((sum, o) => sum + (o.kind === 'created' ? o.reservation.quantity : 0), 0);
      expect(sold).toBeLessThanOrEqual(25);
      expect(sold).toBeGreaterThanOrEqual(23);
      const [ledger] = (await expectNoOversell(suite.db)).filter((t) => t.tierId === tierId);
      expect(ledger?.liveHeld).toBe(sold);
    });

    it('applies a batch in arrival order, each request on its own, with the same rules', async () => {
      const [a, b] = [await newUser(), await newUser()];
      const { concertId, tierId } = await newConcert(3, 2);
      const requests = [
        holdRequest({ userId: a, concertId, tierId, quantity: 2, idempotencyKey: 'same' }),
        holdRequest({ userId: a, concertId, tierId, quantity: 2, idempotencyKey: 'same' }),
        holdRequest({ userId: b, concertId, tierId, quantity: 3 }),
        holdRequest({ userId: b, concertId, tierId, quantity: 2 }),
        holdRequest({ userId: b, concertId, tierId, quantity: 1 }),
      ];
      const outcomes = await Promise.all(requests.map((request) => reservations.hold(request)));
      expect(outcomes.map((o) => o.kind)).toEqual([
        'created',
        'existing',
        'order-limit',
        'insufficient',
        'created',
      ]);
      expect(outcomes[3]).toEqual({ kind: 'insufficient', available: 1 });
      await expectNoOversell(suite.db);
    });

    // Issue 15 item 2: one request's failure never fails another's.
    it('isolates a batch member whose user is gone: 20 buyers hold, the gone user alone is refused', async () => {
      const repository = new SqlReservationRepository(suite.db, { batchHolds: true });
      const buyers = await Promise.all(Array.from({ length: 20 }, newUser));
      const gone = await newUser();
      await suite.db.query('DELETE FROM users WHERE id = $1', [gone]);
      const { concertId, tierId } = await newConcert(100, 4);

      // Submitted in one tick: the batcher sends them as one statement.
      const settled = await Promise.allSettled([
        ...buyers
          .slice(0, 10)
          .map((userId) => repository.hold(holdRequest({ userId, concertId, tierId, quantity: 2 }))),
        repository.hold(holdRequest({ userId: gone, concertId, tierId, quantity: 2 })),
        ...buyers
          .slice(10)
          .map((userId) => repository.hold(holdRequest({ userId, concertId, tierId, quantity: 2 }))),
      ]);

      const kinds = settled.map((s) => (s.status === 'fulfilled' ? s.value.kind : 'rejected'));
      expect(kinds[10]).toBe('user-gone');
      expect(kinds.filter((k) => k === 'created')).toHaveLength(20);
      const [ledger] = (await expectNoOversell(suite.db)).filter((t) => t.tierId === tierId);
      expect(ledger?.liveHeld).toBe(40);
    });

    it.each([
      ['batched per tier', true],
      ['one statement per request', false],
    ])('keeps any failing member to itself (bad uuid, check constraint) (%s)', async (_label, batchHolds) => {
      const repository = new SqlReservationRepository(suite.db, { batchHolds });
      const buyers = await Promise.all(Array.from({ length: 6 }, newUser));
      const { concertId, tierId } = await newConcert(100, 4);
      const settled = await Promise.allSettled([
        ...buyers.slice(0, 3).map((userId) => repository.hold(holdRequest({ userId, concertId, tierId }))),
        repository.hold(holdRequest({ userId: 'not-a-uuid', concertId, tierId })),
        repository.hold(holdRequest({ userId: buyers[5] as string, concertId, tierId, quantity: 0 })),
        ...buyers.slice(3, 5).map((userId) => repository.hold(holdRequest({ userId, concertId, tierId }))),
      ]);
      const kinds = settled.map((s) => (s.status === 'fulfilled' ? s.value.kind : 'rejected'));
      expect(kinds).toEqual(['created', 'created', 'created', 'rejected', 'rejected', 'created', 'created']);
      const [ledger] = (await expectNoOversell(suite.db)).filter((t) => t.tierId === tierId);
      expect(ledger?.liveHeld).toBe(5);
    });

    // Issue 15 item 8: the same key with another request is refused, never answered with the first one.
    it.each([
      ['batched per tier', true],
      ['one statement per request', false],
    ])('refuses an idempotency key reused for another request, even at once (%s)', async (_l, batchHolds) => {
      const repository = new SqlReservationRepository(suite.db, { batchHolds });
      const userId = await newUser();
      const { concertId, tierId, concert } = await newConcert(10, 4);
      const vip = concert.tiers[1]?.id as string;
      const key = `reuse-${batchHolds}`;
      const outcomes = await Promise.all([
        repository.hold(holdRequest({ userId, concertId, tierId, quantity: 2, idempotencyKey: key })),
        repository.hold(holdRequest({ userId, concertId, tierId, quantity: 3, idempotencyKey: key })),
        repository.hold(holdRequest({ userId, concertId, tierId: vip, quantity: 2, idempotencyKey: key })),
      ]);
      const kinds = outcomes.map((o) => o.kind).sort();
      expect(kinds).toEqual(['created', 'key-reused', 'key-reused']);
      const first = outcomes.find((o) => o.kind === 'created');
      const same = outcomes.find((o) => o.kind === 'created') && first?.kind === 'created' ? first : null;
      const retry = await repository.hold(
        holdRequest({
          userId,
          concertId,
          tierId: same?.reservation.tierId as string,
          quantity: same?.reservation.quantity as number,
          idempotencyKey: key,
        }),
      );
      expect(retry.kind === 'existing' && retry.reservation.id).toBe(same?.reservation.id);
      const rows = await suite.db.query(
        'SELECT count(*)::integer AS n FROM reservations WHERE user_id = $1',
        [userId],
      );
      expect(rows[0]?.n).toBe(1);
      await expectNoOversell(suite.db);
    });

    // Follow-up of issues 14/15: the reserve path share-locks each concert once per batch, before its
    // members read it; a member whose concert id is not a uuid still fails alone, and the lock is taken in
    // PostgreSQL's every accepted spelling of a uuid.
    it.each([
      ['batched per tier', true],
      ['one statement per request', false],
    ])(
      'refuses holds on a cancelled concert; a malformed concert id fails alone (%s)',
      async (_l, batchHolds) => {
        const repository = new SqlReservationRepository(suite.db, { batchHolds });
        const buyers = await Promise.all(Array.from({ length: 4 }, newUser));
        const open = await newConcert(100, 4);
        const closed = await newConcert(100, 4);
        const cancelled = await concerts.update(closed.concertId, {
          status: 'cancelled',
          tierChanges: [],
          newTiers: [],
        });
        expect(cancelled.kind).toBe('updated');
        const [a, b, c, d] = buyers as [string, string, string, string];
        const settled = await Promise.allSettled([
          repository.hold(holdRequest({ userId: a, ...open })),
          repository.hold(holdRequest({ userId: b, concertId: 'not-a-uuid', tierId: open.tierId })),
          repository.hold(
            holdRequest({ userId: c, concertId: open.concertId.toUpperCase(), tierId: open.tierId }),
          ),
          repository.hold(holdRequest({ userId: d, concertId: closed.concertId, tierId: closed.tierId })),
        ]);
        const kinds = settled.map((s) => (s.status === 'fulfilled' ? s.value.kind : 'rejected'));
        expect(kinds).toEqual(['created', 'rejected', 'created', 'not-on-sale']);
        await expectNoOversell(suite.db);
      },
    );

    // Issue 14 item 6: confirming needs the concert on sale, checked in the same statement.
    it.each(['paused', 'cancelled'])(
      'refuses to confirm a live hold of a %s concert, changing nothing',
      async (status) => {
        const userId = await newUser();
        const { concertId, tierId } = await newConcert(5);
        const held = await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 2 }));
        if (held.kind !== 'created') throw new Error(held.kind);
        await suite.db.query('UPDATE concerts SET status = $2 WHERE id = $1', [concertId, status]);
        const before = await snapshot(suite.db);

        expect(await reservations.confirm(held.reservation.id, userId, codes(2))).toEqual({
          kind: 'not-on-sale',
        });

        expect(await snapshot(suite.db)).toEqual(before);
        await suite.db.query(`UPDATE concerts SET status = 'on-sale' WHERE id = $1`, [concertId]);
        const confirmed = await reservations.confirm(held.reservation.id, userId, codes(2));
        expect(confirmed.kind === 'confirmed' && confirmed.tickets).toHaveLength(2);
        await expectNoOversell(suite.db);
      },
    );

    it('answers a repeated confirm with the same tickets and says it changed nothing', async () => {
      const userId = await newUser();
      const { concertId, tierId } = await newConcert(5);
      const held = await reservations.hold(holdRequest({ userId, concertId, tierId, quantity: 2 }));
      if (held.kind !== 'created') throw new Error(held.kind);
      const both = await Promise.all([
        reservations.confirm(held.reservation.id, userId, codes(2)),
        reservations.confirm(held.reservation.id, userId, codes(2)),
      ]);
      const changed = both.map((o) => o.kind === 'confirmed' && o.changed);
      expect(changed.sort()).toEqual([false, true]);
      expect(
        new Set(both.flatMap((o) => (o.kind === 'confirmed' ? o.tickets.map((t) => t.code) : []))).size,
      ).toBe(2);
    });

    // Issue 14 item 1, kind: a refusal leaves every row as it was, even where the attempt wrote first.
    it('refuses a hold that overdue holds cannot cover without releasing them', async () => {
      const [alice, bob] = [await newUser(), await newUser()];
      const { concertId, tierId } = await newConcert(4, 4);
      const first = await reservations.hold(holdRequest({ userId: alice, concertId, tierId, quantity: 1 }));
      const second = await reservations.hold(holdRequest({ userId: alice, concertId, tierId, quantity: 3 }));
      if (first.kind !== 'created' || second.kind !== 'created') throw new Error('setup');
      await makeOverdue(first.reservation.id);
      const before = await snapshot(suite.db);

      for (const repository of [
        reservations,
        new SqlReservationRepository(suite.db, { batchHolds: false }),
      ]) {
        expect(await repository.hold(holdRequest({ userId: bob, concertId, tierId, quantity: 2 }))).toEqual({
          kind: 'insufficient',
          available: 1,
        });
        expect(await snapshot(suite.db)).toEqual(before);
      }
      expect(
        (await reservations.hold(holdRequest({ userId: bob, concertId, tierId, quantity: 1 }))).kind,
      ).toBe('created');
      await expectNoOversell(suite.db);
    });

    it('leaves every row as it was after each refusal of hold, confirm and cancel', async () => {
      const [alice, gone] = [await newUser(), await newUser()];
      await suite.db.query('DELETE FROM users WHERE id = $1', [gone]);
      const { concertId, tierId } = await newConcert(3, 2);
      const held = await reservations.hold(
        holdRequest({ userId: alice, concertId, tierId, quantity: 2, idempotencyKey: 'k' }),
      );
      const overdue = await reservations.hold(holdRequest({ userId: alice, concertId, tierId, quantity: 1 }));
      if (held.kind !== 'created' || overdue.kind !== 'created') throw new Error('setup');
      await makeOverdue(overdue.reservation.id);
      const before = await snapshot(suite.db);
      const refusals = [
        () => reservations.hold(holdRequest({ userId: alice, concertId, tierId, quantity: 3 })),
        () => reservations.hold(holdRequest({ userId: alice, concertId, tierId, quantity: 2 })),
        () =>
          reservations.hold(holdRequest({ userId: alice, concertId, tierId, quantity: 1, perUserLimit: 2 })),
        () =>
          reservations.hold(
            holdRequest({ userId: alice, concertId, tierId, quantity: 1, activeHoldLimit: 1 }),
          ),
        () =>
          reservations.hold(
            holdRequest({ userId: alice, concertId, tierId, quantity: 1, idempotencyKey: 'k' }),
          ),
        () => reservations.hold(holdRequest({ userId: gone, concertId, tierId, quantity: 1 })),
        () => reservations.confirm(overdue.reservation.id, alice, codes(1)),
        () => reservations.confirm(held.reservation.id, gone, codes(2)),
        () => reservations.cancel(overdue.reservation.id, alice),
      ];
      for (const refuse of refusals) {
        const outcome = await refuse();
        expect(['created', 'confirmed', 'cancelled']).not.toContain(outcome.kind);
        expect(await snapshot(suite.db)).toEqual(before);
      }
    });
  });
}

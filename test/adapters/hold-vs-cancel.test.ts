import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { SqlReservationRepository } from '../../functions/adapters/postgres/sql-reservation-repository';
import { SqlUserRepository } from '../../functions/adapters/postgres/sql-user-repository';
import { migrate } from '../../functions/db/migrate';
import type { HoldOutcome, HoldRequest } from '../../functions/ports/reservation.repository.port';
import { expectNoOversell } from '../support/invariants';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/**
 * A hold racing a concert cancellation (issue 14/15 follow-up): the cancellation locks the concert row,
 * releases its holds and commits; a hold that read the concert as on-sale before that commit must not
 * go in after it. Real PostgreSQL: the race is about row locks.
 */
describe('a hold racing a concert cancellation', () => {
  let database: TestDatabase;
  let db: PgDatabase;
  let users: SqlUserRepository;
  let concerts: SqlConcertRepository;
  let batched: SqlReservationRepository;
  let single: SqlReservationRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new PgDatabase({ connectionString: database.url, maxConnections: 16 });
    expect(await migrate(db)).toContain('006_hold_vs_cancel.sql');
    users = new SqlUserRepository(db);
    concerts = new SqlConcertRepository(db);
    batched = new SqlReservationRepository(db);
    single = new SqlReservationRepository(db, { batchHolds: false });
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  let userCount = 0;
  const newUsers = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const user = await users.insert({
        email: `racer${++userCount}@x.test`,
        name: 'R',
        passwordHash: 'h',
        role: 'customer',
      });
      if (!user) throw new Error('user insert failed');
      ids.push(user.id);
    }
    return ids;
  };
  const newConcert = async () => {
    const concert = await concerts.insert({
      title: 'T',
      artist: 'A',
      venue: 'V',
      startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      status: 'on-sale',
      tiers: [
        { name: 'GA', priceCents: 2500, currency: 'EUR', capacity: 500, maxPerOrder: 4 },
        { name: 'VIP', priceCents: 9900, currency: 'EUR', capacity: 500, maxPerOrder: 4 },
      ],
    });
    if (!concert) throw new Error('concert insert failed');
    return { concertId: concert.id, tierIds: concert.tiers.map((tier) => tier.id) };
  };
  const request = (userId: string, concertId: string, tierId: string): HoldRequest => ({
    userId,
    concertId,
    tierId,
    quantity: 1,
    idempotencyKey: null,
    holdSeconds: 600,
    perUserLimit: 0,
    activeHoldLimit: 0,
  });
  /** Backends of this test database waiting on a lock while running a statement that matches `like`. */
  const waiting = async (like: string) => {
    const [row] = await db.query(
      `SELECT count(*)::integer AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
      [like],
    );
    return Number(row?.n ?? 0);
  };
  const liveSales = async (concertId: string) =>
    db.query(
      `SELECT id, status FROM reservations
        WHERE concert_id = $1 AND (status = 'confirmed' OR (status = 'held' AND expires_at > now()))`,
      [concertId],
    );

  it('holds queued behind the cancellation wait for it and are refused as not on sale', async () => {
    const { concertId, tierIds } = await newConcert();
    const [early, ...racers] = await newUsers(31);
    // One sale before the cancellation, so it has a holder to mail (and an outbox insert to stop at).
    const first = await batched.hold(request(early as string, concertId, tierIds[0] as string));
    expect(first.kind).toBe('created');

    // Stop the cancellation inside its transaction, after it locked the concert and released its holds:
    // its last write (the holders' e-mails) waits for this table lock.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    let holds: Array<Promise<HoldOutcome>> = [];
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE email_outbox IN EXCLUSIVE MODE');
      const cancelling = concerts.update(concertId, { status: 'cancelled', tierChanges: [], newTiers: [] });
      await expect.poll(() => waiting('%INSERT INTO email_outbox%')).toBe(1);

      holds = racers.map((userId, n) =>
        (n < 20 ? batched : single).hold(request(userId, concertId, tierIds[n % 2] as string)),
      );
      // Both entry points are in the database, waiting behind the open cancellation.
      await expect.poll(() => waiting('%reserve_tickets_batch(%')).toBeGreaterThanOrEqual(1);
      await expect.poll(() => waiting('%reserve_tickets(%')).toBeGreaterThanOrEqual(1);

      await blocker.query('COMMIT');
      const cancelled = await cancelling;
      expect(cancelled.kind).toBe('updated');
    } finally {
      await blocker.end();
    }

    const outcomes = await Promise.all(holds);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(racers.map(() => 'not-on-sale'));
    expect(await liveSales(concertId)).toEqual([]);
    await expectNoOversell(db);
  });

  it('many holds fired while the concert is cancelled leave no live sale behind', async () => {
    for (let round = 0; round < 3; round++) {
      const { concertId, tierIds } = await newConcert();
      const racers = await newUsers(40);
      const holds = racers.map((userId, n) =>
        (n % 4 === 0 ? single : batched).hold(request(userId, concertId, tierIds[n % 2] as string)),
      );
      const cancelled = await concerts.update(concertId, {
        status: 'cancelled',
        tierChanges: [],
        newTiers: [],
      });
      expect(cancelled.kind).toBe('updated');
      const outcomes = await Promise.all(holds);
      for (const outcome of outcomes) expect(['created', 'not-on-sale']).toContain(outcome.kind);
      expect(await liveSales(concertId)).toEqual([]);
      await expectNoOversell(db);
    }
  });
});

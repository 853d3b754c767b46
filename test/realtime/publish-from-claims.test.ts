import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventBus } from '../../functions/adapters/memory/memory-event-bus';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { SqlReservationRepository } from '../../functions/adapters/postgres/sql-reservation-repository';
import { AvailabilityPublisher } from '../../functions/core/availability-publisher';
import { type ConcertUpdateMessage, concertUpdate } from '../../functions/core/realtime';
import { reserveTickets } from '../../functions/core/reservations.service';
import { migrate } from '../../functions/db/migrate';
import type { SqlDatabase } from '../../functions/ports/sql-database.port';
import { createTestDatabase } from '../support/postgres';

// Issue 19: after a hold batch the publisher builds the next snapshot from what the statement answered
// (each tier's `available` and `version`) instead of reading the whole concert again. Whatever it builds
// must equal a fresh read, and it must fall back to a read whenever claims cannot tell (another process
// changed the tier, a hold ran out).

const drivers: Array<[string, () => Promise<{ db: SqlDatabase; dispose: () => Promise<void> }>]> = [
  [
    'PostgreSQL',
    async () => {
      const database = await createTestDatabase();
      const db = new PgDatabase({ connectionString: database.url, maxConnections: 8 });
      return {
        db,
        dispose: async () => {
          await db.close();
          await database.drop();
        },
      };
    },
  ],
  [
    'PGlite',
    async () => {
      const db = await PgliteDatabase.open();
      return { db, dispose: () => db.close() };
    },
  ],
];

describe.each(drivers)('publishing from the hold statement’s results, on %s', (_name, open) => {
  let opened: { db: SqlDatabase; dispose: () => Promise<void> };
  let concerts: SqlConcertRepository;
  let reservations: SqlReservationRepository;
  let users: string[];

  beforeAll(async () => {
    opened = await open();
    await migrate(opened.db);
    concerts = new SqlConcertRepository(opened.db);
    reservations = new SqlReservationRepository(opened.db);
    users = (
      await opened.db.query(
        `INSERT INTO users (email, name, password_hash, role)
         SELECT 'fan-' || g || '@x.test', 'Fan', 'x', 'customer' FROM generate_series(1, 40) g RETURNING id`,
      )
    ).map((row) => String(row.id));
  });
  afterAll(async () => {
    await opened?.dispose();
  });

  const newConcert = async () => {
    const concert = await concerts.insert({
      title: 'T',
      artist: 'A',
      venue: 'V',
      startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      status: 'on-sale',
      tiers: [
        { name: 'GA', priceCents: 2500, currency: 'EUR', capacity: 500, maxPerOrder: 4 },
        { name: 'VIP', priceCents: 9900, currency: 'EUR', capacity: 300, maxPerOrder: 2 },
      ],
    });
    if (!concert) throw new Error('concert insert failed');
    return concert;
  };

  /** A publisher on an in-process bus, with what it published (newest last). */
  const publisher = async () => {
    const bus = new MemoryEventBus();
    const updates: ConcertUpdateMessage[] = [];
    await bus.subscribe((message) => {
      if (message.type === 'concert-update') updates.push(message);
    });
    const events = new AvailabilityPublisher(concerts, bus, {
      coalesceMs: 20,
      onError: (error) => {
        throw error;
      },
    });
    return { events, updates };
  };

  /** Waits until the newest update published is at least the database's version, then answers both. */
  const settledUpdate = async (updates: ConcertUpdateMessage[], concertId: string) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const fresh = concertUpdate((await concerts.get(concertId)) as never);
      const newest = updates.filter((u) => u.concertId === concertId).at(-1);
      if (newest && newest.version >= fresh.version) return { newest, fresh };
      if (Date.now() > deadline) throw new Error(`no update reached version ${fresh.version}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const hold = (
    events: AvailabilityPublisher,
    user: string,
    concertId: string,
    tierId: string,
    quantity = 1,
  ) =>
    reserveTickets(
      { reservations, events, settings: { holdSeconds: 600, perUserLimit: 0, activeHoldLimit: 0 } },
      { userId: user, role: 'customer' },
      { concertId, tierId, quantity },
      null,
    );

  it('builds snapshots from batches of holds on two tiers that equal a fresh read, without reading each time', async () => {
    const concert = await newConcert();
    const [ga, vip] = concert.tiers as [(typeof concert.tiers)[0], (typeof concert.tiers)[0]];
    const { events, updates } = await publisher();
    try {
      // The first change reads (nothing known yet); later bursts build from the claims.
      await hold(events, users[0] as string, concert.id, ga.id);
      await settledUpdate(updates, concert.id);
      for (let burst = 0; burst < 5; burst++) {
        await Promise.all(
          users.map((user, i) => hold(events, user, concert.id, i % 3 === 0 ? vip.id : ga.id, (i % 2) + 1)),
        );
        const { newest, fresh } = await settledUpdate(updates, concert.id);
        expect(newest).toEqual(fresh);
      }
      expect(events.builtFromClaims).toBeGreaterThan(0);
      // One read for the first change; the bursts after it (every version accounted for) read nothing.
      expect(events.reads).toBe(1);
    } finally {
      events.close();
    }
  });

  it('reads again when another process changed the tier between two of its snapshots', async () => {
    const concert = await newConcert();
    const ga = concert.tiers[0] as (typeof concert.tiers)[0];
    const { events, updates } = await publisher();
    const elsewhere = new SqlReservationRepository(opened.db, { batchHolds: false });
    try {
      await hold(events, users[0] as string, concert.id, ga.id);
      await settledUpdate(updates, concert.id);
      const readsBefore = events.reads;
      // Another replica's hold: this publisher is not told of it.
      await elsewhere.hold({
        userId: users[1] as string,
        concertId: concert.id,
        tierId: ga.id,
        quantity: 3,
        idempotencyKey: null,
        holdSeconds: 600,
        perUserLimit: 0,
        activeHoldLimit: 0,
      });
      await hold(events, users[2] as string, concert.id, ga.id, 2);
      const { newest, fresh } = await settledUpdate(updates, concert.id);
      expect(newest).toEqual(fresh);
      expect(newest.tiers[0]?.available).toBe(500 - 1 - 3 - 2);
      expect(events.reads).toBe(readsBefore + 1);
    } finally {
      events.close();
    }
  });

  it('reads again once a hold it counts has run out (a reader adds it back before any sweep)', async () => {
    const concert = await newConcert();
    const ga = concert.tiers[0] as (typeof concert.tiers)[0];
    const { events, updates } = await publisher();
    try {
      // A hold that runs out at once, taken behind the publisher's back, then one it is told of.
      await opened.db.query(
        `INSERT INTO reservations (user_id, concert_id, tier_id, quantity, total_cents, currency, status, expires_at)
         VALUES ($1, $2, $3, 2, 5000, 'EUR', 'held', now() + interval '300 milliseconds')`,
        [users[3] as string, concert.id, ga.id],
      );
      await opened.db.query(
        'UPDATE ticket_tiers SET available = available - 2, version = version + 1 WHERE id = $1',
        [ga.id],
      );
      await hold(events, users[4] as string, concert.id, ga.id);
      const first = await settledUpdate(updates, concert.id);
      expect(first.newest).toEqual(first.fresh);
      await new Promise((resolve) => setTimeout(resolve, 400));
      // Now the first hold is overdue: a read counts its 2 tickets as free again.
      await hold(events, users[5] as string, concert.id, ga.id);
      const { newest, fresh } = await settledUpdate(updates, concert.id);
      expect(newest).toEqual(fresh);
      expect(newest.tiers[0]?.available).toBe(500 - 1 - 1);
    } finally {
      events.close();
    }
  });
});

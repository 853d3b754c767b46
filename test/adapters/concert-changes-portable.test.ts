import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { RdsDataDatabase } from '../../functions/adapters/postgres/rds-data-database';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { migrate } from '../../functions/db/migrate';
import type { SqlDatabase } from '../../functions/ports/sql-database.port';
import { expectNoOversell } from '../support/invariants';
import { localDataApiOptions, startLocalDataApi } from '../support/local-data-api';
import { createTestDatabase } from '../support/postgres';

interface Driver {
  name: string;
  open(): Promise<{ db: SqlDatabase; dispose(): Promise<void> }>;
}

const drivers: Driver[] = [
  {
    name: 'PGlite',
    open: async () => {
      const db = await PgliteDatabase.open();
      return { db, dispose: () => db.close() };
    },
  },
  {
    name: 'node-postgres',
    open: async () => {
      const database = await createTestDatabase();
      const db = new PgDatabase({ connectionString: database.url, maxConnections: 2 });
      const dispose = async () => {
        await db.close();
        await database.drop();
      };
      return { db, dispose };
    },
  },
  {
    name: 'the RDS Data API',
    open: async () => {
      const database = await createTestDatabase();
      const api = await startLocalDataApi(database.url);
      const db = new RdsDataDatabase(localDataApiOptions(api, database.name));
      const dispose = async () => {
        await db.close();
        await api.close();
        await database.drop();
      };
      return { db, dispose };
    },
  },
];

const everyRow = async (db: SqlDatabase) => ({
  concerts: await db.query('SELECT * FROM concerts ORDER BY id'),
  tiers: await db.query('SELECT * FROM ticket_tiers ORDER BY id'),
  reservations: await db.query('SELECT * FROM reservations ORDER BY id'),
  outbox: await db.query('SELECT dedupe_key FROM email_outbox ORDER BY dedupe_key'),
});

for (const driver of drivers) {
  describe(`concert changes are all or nothing, and cancelling ends sales, on ${driver.name}`, () => {
    let suite: Awaited<ReturnType<Driver['open']>>;
    let concerts: SqlConcertRepository;
    let concertId: string;
    let tierA: string;
    let tierB: string;
    let holdEnds: number;

    beforeAll(async () => {
      suite = await driver.open();
      await migrate(suite.db);
      concerts = new SqlConcertRepository(suite.db);
      const concert = await concerts.insert({
        title: 'Portable',
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        status: 'on-sale',
        tiers: [
          { name: 'A', priceCents: 1000, currency: 'USD', capacity: 10, maxPerOrder: 10 },
          { name: 'B', priceCents: 500, currency: 'EUR', capacity: 4, maxPerOrder: 10 },
        ],
      });
      if (!concert) throw new Error('insert failed');
      concertId = concert.id;
      [tierA, tierB] = concert.tiers.map((tier) => tier.id) as [string, string];
      const [user] = await suite.db.query(
        `INSERT INTO users (email, name, password_hash, role) VALUES ('p@x.test', 'P', 'h', 'customer') RETURNING id`,
      );
      const userId = String(user?.id);
      const [held] = await suite.db.query(
        `INSERT INTO reservations (user_id, concert_id, tier_id, quantity, total_cents, currency, status, expires_at)
         VALUES ($1, $2, $3, 2, 2000, 'USD', 'held', now() + interval '10 minutes') RETURNING expires_at`,
        [userId, concertId, tierA],
      );
      holdEnds = new Date(String(held?.expires_at)).getTime();
      await suite.db.query(
        `INSERT INTO reservations (user_id, concert_id, tier_id, quantity, total_cents, currency, status, expires_at, confirmed_at)
         VALUES ($1, $2, $3, 1, 500, 'EUR', 'confirmed', now(), now())`,
        [userId, concertId, tierB],
      );
      await suite.db.query('UPDATE ticket_tiers SET available = 8 WHERE id = $1', [tierA]);
      await suite.db.query('UPDATE ticket_tiers SET available = 3 WHERE id = $1', [tierB]);
    });
    afterAll(async () => {
      await suite?.dispose();
    });

    it('reads the earliest end of a live hold with the concert', async () => {
      const timed = await concerts.getTimed(concertId);
      expect(Math.abs((timed?.nextExpiryAt ?? 0) - holdEnds)).toBeLessThan(1_000);
      expect((await concerts.listTimed()).find((t) => t.concert.id === concertId)?.nextExpiryAt).toBe(
        timed?.nextExpiryAt,
      );
    });

    it('rolls back every part of a refused change', async () => {
      const before = await everyRow(suite.db);
      const refusals = [
        { title: 'New', tierChanges: [{ id: tierA, capacity: 50 }, { id: randomUUID() }], newTiers: [] },
        {
          title: 'New',
          tierChanges: [
            { id: tierA, capacity: 50 },
            { id: tierB, capacity: 0 },
          ],
          newTiers: [],
        },
        {
          title: 'New',
          tierChanges: [
            { id: tierA, capacity: 50 },
            { id: tierB, name: 'A' },
          ],
          newTiers: [],
        },
      ];
      for (const change of refusals) {
        expect((await concerts.update(concertId, change)).kind).not.toBe('updated');
        expect(await everyRow(suite.db)).toEqual(before);
      }
    });

    it('cancels: holds released, sold reservations cancelled, one mail per holder, once; final', async () => {
      const outcome = await concerts.update(concertId, {
        status: 'cancelled',
        tierChanges: [],
        newTiers: [],
      });
      expect(outcome.kind).toBe('updated');
      if (outcome.kind !== 'updated') return;
      expect(outcome.concert).toMatchObject({ status: 'cancelled', availableTickets: 14, totalBooked: 0 });
      expect(outcome.cancelled).toMatchObject({ releasedHolds: 1, voidedReservations: 1 });
      expect(outcome.cancelled?.holders).toEqual([
        expect.objectContaining({
          heldTickets: 2,
          confirmedTickets: 1,
          refunds: [{ currency: 'EUR', cents: 500 }],
        }),
      ]);
      const after = await everyRow(suite.db);
      expect(after.reservations.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
      expect(after.outbox).toHaveLength(1);
      await expectNoOversell(suite.db);

      const again = await concerts.update(concertId, { status: 'cancelled', tierChanges: [], newTiers: [] });
      expect(again).toMatchObject({ kind: 'updated' });
      expect(again.kind === 'updated' ? again.cancelled : 'refused').toBeUndefined();
      expect((await everyRow(suite.db)).outbox).toHaveLength(1);
      expect(await concerts.update(concertId, { status: 'on-sale', tierChanges: [], newTiers: [] })).toEqual({
        kind: 'cancelled-is-final',
      });
    });
  });
}

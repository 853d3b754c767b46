import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { RdsDataDatabase } from '../../functions/adapters/postgres/rds-data-database';
import { SqlCheckInRepository } from '../../functions/adapters/postgres/sql-check-in-repository';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { SqlReportRepository } from '../../functions/adapters/postgres/sql-report-repository';
import { SqlReservationRepository } from '../../functions/adapters/postgres/sql-reservation-repository';
import { SqlUserRepository } from '../../functions/adapters/postgres/sql-user-repository';
import { newTicketCode } from '../../functions/core/ticket-codes';
import { migrate } from '../../functions/db/migrate';
import type { CheckInClaim } from '../../functions/ports/check-in.repository.port';
import type { SqlDatabase } from '../../functions/ports/sql-database.port';
import { localDataApiOptions, startLocalDataApi } from '../support/local-data-api';
import { createTestDatabase } from '../support/postgres';

interface Opened {
  db: SqlDatabase;
  dispose(): Promise<void>;
}

/** Migration 010 and the check-in repository: the same SQL must mean the same on every driver. */
function checkInSuite(driver: string, open: () => Promise<Opened>): void {
  describe(`check-ins on ${driver}`, () => {
    let opened: Opened;
    let db: SqlDatabase;
    let users: SqlUserRepository;
    let concerts: SqlConcertRepository;
    let reservations: SqlReservationRepository;
    let checkIns: SqlCheckInRepository;
    let staffId: string;
    let count = 0;

    beforeAll(async () => {
      opened = await open();
      db = opened.db;
      expect(await migrate(db)).toContain('010_check_ins.sql');
      users = new SqlUserRepository(db);
      concerts = new SqlConcertRepository(db);
      reservations = new SqlReservationRepository(db);
      checkIns = new SqlCheckInRepository(db);
      const staff = await users.insert({
        email: 'door@x.test',
        name: 'Door',
        passwordHash: 'h',
        role: 'staff',
      });
      if (!staff) throw new Error('staff insert failed');
      staffId = staff.id;
    });
    afterAll(async () => {
      await opened?.dispose();
    });

    const newConcert = async () => {
      const concert = await concerts.insert({
        title: `Show ${++count}`,
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        status: 'on-sale',
        tiers: [
          { name: 'GA', priceCents: 1000, currency: 'EUR', capacity: 10, maxPerOrder: 5 },
          { name: 'VIP', priceCents: 5000, currency: 'EUR', capacity: 5, maxPerOrder: 5 },
        ],
      });
      if (!concert) throw new Error('concert insert failed');
      return concert;
    };
    /** `quantity` confirmed tickets of `tierIndex` for a new fan named `name`. */
    const buy = async (concertId: string, tierId: string, quantity: number, name = 'Jane Doe') => {
      const fan = await users.insert({
        email: `fan${++count}@x.test`,
        name,
        passwordHash: 'h',
        role: 'customer',
      });
      if (!fan) throw new Error('fan insert failed');
      const held = await reservations.hold({
        userId: fan.id,
        concertId,
        tierId,
        quantity,
        idempotencyKey: null,
        holdSeconds: 600,
        perUserLimit: 0,
        activeHoldLimit: 0,
      });
      if (held.kind !== 'created') throw new Error(`hold failed: ${held.kind}`);
      const codes = Array.from({ length: quantity }, newTicketCode);
      const confirmed = await reservations.confirm(held.reservation.id, fan.id, codes);
      if (confirmed.kind !== 'confirmed') throw new Error(`confirm failed: ${confirmed.kind}`);
      return { reservationId: held.reservation.id, codes: confirmed.tickets.map((t) => t.code) };
    };
    const claim = (code: string, deviceId: string, over: Partial<CheckInClaim> = {}): CheckInClaim => ({
      code,
      deviceId,
      checkedInBy: staffId,
      concertId: null,
      scannedAt: new Date(),
      ...over,
    });

    it('lets the users table hold staff, and nothing but the three roles', async () => {
      expect((await users.findByEmail('door@x.test'))?.role).toBe('staff');
      await expect(
        db.query(
          `INSERT INTO users (email, name, password_hash, role) VALUES ('boss@x.test', 'B', 'h', 'boss')`,
        ),
      ).rejects.toThrow();
    });

    it('changes an existing account only through updateAccount, ending its sessions', async () => {
      const before = await users.findByEmail('door@x.test');
      const after = await users.updateAccount({
        email: 'DOOR@x.test',
        name: 'Door Two',
        passwordHash: 'h2',
        role: 'admin',
      });
      expect(after).toMatchObject({ id: staffId, name: 'Door Two', role: 'admin', passwordHash: 'h2' });
      expect(after?.tokenVersion).toBe((before?.tokenVersion ?? 0) + 1);
      await users.updateAccount({ email: 'door@x.test', name: 'Door', passwordHash: 'h', role: 'staff' });
      expect(
        await users.updateAccount({ email: 'nobody@x.test', name: 'N', passwordHash: 'h', role: 'staff' }),
      ).toBeNull();
    });

    it('admits a ticket once: a repeat from the same device is the same admission, another device is refused', async () => {
      const concert = await newConcert();
      const tier = concert.tiers[0]?.id ?? '';
      const {
        codes: [code = ''],
      } = await buy(concert.id, tier, 1, 'Jane Doe');
      const scannedAt = new Date(Date.now() - 60_000);
      const first = await checkIns.record(claim(code, 'door-a', { scannedAt, concertId: concert.id }));
      expect(first).toEqual({
        kind: 'admitted',
        firstScan: true,
        ticket: { code, concertId: concert.id, tierId: tier, holderName: 'Jane Doe' },
        admission: { at: scannedAt.toISOString(), deviceId: 'door-a' },
      });
      const repeat = await checkIns.record(claim(code, 'door-a'));
      expect(repeat).toEqual({ ...first, firstScan: false });
      const other = await checkIns.record(claim(code, 'door-b'));
      expect(other).toEqual({
        kind: 'already-checked-in',
        ticket: first.kind === 'admitted' ? first.ticket : undefined,
        admission: { at: scannedAt.toISOString(), deviceId: 'door-a' },
      });
      expect(await db.query('SELECT device_id FROM check_ins WHERE concert_id = $1', [concert.id])).toEqual([
        { device_id: 'door-a' },
      ]);
    });

    it("answers another account's scan with the first device's id as already checked in (a repeat is device AND account)", async () => {
      const concert = await newConcert();
      const tier = concert.tiers[0]?.id ?? '';
      const {
        codes: [code = ''],
      } = await buy(concert.id, tier, 1);
      const other = await users.insert({
        email: `door${++count}@x.test`,
        name: 'Other door',
        passwordHash: 'h',
        role: 'staff',
      });
      if (!other) throw new Error('staff insert failed');
      const first = await checkIns.record(claim(code, 'north-door'));
      expect(first).toMatchObject({ kind: 'admitted', firstScan: true });
      const borrowed = await checkIns.record(claim(code, 'north-door', { checkedInBy: other.id }));
      expect(borrowed).toMatchObject({
        kind: 'already-checked-in',
        admission: { deviceId: 'north-door' },
      });
      expect(await checkIns.record(claim(code, 'north-door'))).toMatchObject({
        kind: 'admitted',
        firstScan: false,
      });
      expect(
        await db.query('SELECT checked_in_by FROM check_ins WHERE concert_id = $1', [concert.id]),
      ).toEqual([{ checked_in_by: staffId }]);
    });

    it('refuses unknown codes, tickets of another concert, and cancelled tickets and concerts, writing nothing', async () => {
      const concert = await newConcert();
      const other = await newConcert();
      const tier = concert.tiers[0]?.id ?? '';
      const { codes, reservationId } = await buy(concert.id, tier, 2);
      const [kept = '', dropped = ''] = codes;
      expect(await checkIns.record(claim('0000-0000-0000-0000', 'd'))).toEqual({ kind: 'not-found' });
      expect(await checkIns.record(claim(kept, 'd', { concertId: other.id }))).toMatchObject({
        kind: 'not-valid',
        reason: 'other-concert',
      });
      await db.query(`UPDATE reservations SET status = 'cancelled' WHERE id = $1`, [reservationId]);
      expect(await checkIns.record(claim(dropped, 'd'))).toMatchObject({
        kind: 'not-valid',
        reason: 'reservation-cancelled',
      });
      await db.query(`UPDATE reservations SET status = 'confirmed' WHERE id = $1`, [reservationId]);
      await db.query(`UPDATE concerts SET status = 'cancelled' WHERE id = $1`, [concert.id]);
      expect(await checkIns.record(claim(kept, 'd'))).toMatchObject({
        kind: 'not-valid',
        reason: 'concert-cancelled',
      });
      expect(await db.query('SELECT * FROM check_ins WHERE concert_id = $1', [concert.id])).toEqual([]);
    });

    it('admits exactly once when many devices scan the same ticket at the same moment', async () => {
      const concert = await newConcert();
      const {
        codes: [code = ''],
      } = await buy(concert.id, concert.tiers[0]?.id ?? '', 1);
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => checkIns.record(claim(code, `door-${i}`))),
      );
      const admitted = answers.filter((answer) => answer.kind === 'admitted');
      expect(admitted).toHaveLength(1);
      const winner = admitted[0]?.kind === 'admitted' ? admitted[0].admission : undefined;
      for (const answer of answers.filter((a) => a.kind !== 'admitted'))
        expect(answer).toMatchObject({ kind: 'already-checked-in', admission: winner });
    });

    it('counts checked in vs sold per tier, lists the valid codes, and reports attendance', async () => {
      const concert = await newConcert();
      const [ga = '', vip = ''] = concert.tiers.map((t) => t.id);
      const gaCodes = (await buy(concert.id, ga, 3, 'Ann Lee')).codes;
      const vipCodes = (await buy(concert.id, vip, 2, 'Bo')).codes;
      for (const code of [...gaCodes.slice(0, 2), ...vipCodes.slice(0, 1)])
        expect((await checkIns.record(claim(code, 'door'))).kind).toBe('admitted');
      expect(await checkIns.attendance(concert.id)).toEqual([
        { tierId: ga, checkedIn: 2, sold: 3 },
        { tierId: vip, checkedIn: 1, sold: 2 },
      ]);
      expect(await checkIns.attendance('00000000-0000-4000-8000-000000000000')).toBeNull();
      const valid = await checkIns.validTickets(concert.id);
      expect(valid?.map((t) => [t.code, t.tierId, t.holderName, t.checkedIn]).sort()).toEqual(
        [
          ...gaCodes.map((code, i) => [code, ga, 'Ann Lee', i < 2]),
          ...vipCodes.map((code, i) => [code, vip, 'Bo', i < 1]),
        ].sort(),
      );
      expect(await checkIns.validTickets('00000000-0000-4000-8000-000000000000')).toBeNull();

      const today = new Date().toISOString().slice(0, 10);
      const report = await new SqlReportRepository(db).computeAndStore(today, 'UTC');
      expect(report.concerts.find((c) => c.concertId === concert.id)).toMatchObject({
        soldToDate: 5,
        checkedIn: 3,
        attendance: 0.6,
      });
    });
  });
}

checkInSuite('node-postgres', async () => {
  const database = await createTestDatabase();
  const db = new PgDatabase({ connectionString: database.url, maxConnections: 8 });
  return {
    db,
    dispose: async () => {
      await db.close();
      await database.drop();
    },
  };
});

checkInSuite('PGlite', async () => {
  const db = await PgliteDatabase.open();
  return { db, dispose: () => db.close() };
});

checkInSuite('the RDS Data API', async () => {
  const database = await createTestDatabase();
  const api = await startLocalDataApi(database.url);
  const db = new RdsDataDatabase(localDataApiOptions(api, database.name));
  return {
    db,
    dispose: async () => {
      await db.close();
      await api.close();
      await database.drop();
    },
  };
});

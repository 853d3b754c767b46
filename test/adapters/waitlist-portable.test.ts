import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { RdsDataDatabase } from '../../functions/adapters/postgres/rds-data-database';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { SqlMaintenanceRepository } from '../../functions/adapters/postgres/sql-maintenance-repository';
import { SqlReservationRepository } from '../../functions/adapters/postgres/sql-reservation-repository';
import { SqlUserRepository } from '../../functions/adapters/postgres/sql-user-repository';
import { SqlWaitlistRepository } from '../../functions/adapters/postgres/sql-waitlist-repository';
import { newTicketCode } from '../../functions/core/ticket-codes';
import { migrate } from '../../functions/db/migrate';
import type { HoldRequest } from '../../functions/ports/reservation.repository.port';
import type { SqlDatabase } from '../../functions/ports/sql-database.port';
import type { JoinRequest } from '../../functions/ports/waitlist.repository.port';
import { expectNoOversell } from '../support/invariants';
import { type LocalDataApi, localDataApiOptions, startLocalDataApi } from '../support/local-data-api';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const inAWeek = () => new Date(Date.now() + 7 * 86_400_000).toISOString();

/** The waiting-list SQL (migration 011) on each driver the service runs on. */
describe.each(['node-postgres', 'RDS Data API', 'PGlite'] as const)('waiting lists on %s', (driver) => {
  let database: TestDatabase | undefined;
  let api: LocalDataApi | undefined;
  let db: SqlDatabase;
  let users: SqlUserRepository;
  let concerts: SqlConcertRepository;
  let reservations: SqlReservationRepository;
  let waitlist: SqlWaitlistRepository;
  let maintenance: SqlMaintenanceRepository;

  beforeAll(async () => {
    if (driver === 'PGlite') db = await PgliteDatabase.open();
    else {
      database = await createTestDatabase();
      if (driver === 'node-postgres')
        db = new PgDatabase({ connectionString: database.url, maxConnections: 4 });
      else {
        api = await startLocalDataApi(database.url);
        db = new RdsDataDatabase(localDataApiOptions(api, database.name));
      }
    }
    expect(await migrate(db)).toContain('011_waitlist.sql');
    users = new SqlUserRepository(db);
    concerts = new SqlConcertRepository(db);
    reservations = new SqlReservationRepository(db, { batchHolds: false });
    waitlist = new SqlWaitlistRepository(db);
    maintenance = new SqlMaintenanceRepository(db);
  });
  afterAll(async () => {
    await db?.close();
    await api?.close();
    await database?.drop();
  });

  let userCount = 0;
  const newUser = async () => {
    const user = await users.insert({
      email: `w${++userCount}@x.test`,
      name: `Fan ${userCount}`,
      passwordHash: 'h',
      role: 'customer',
    });
    if (!user) throw new Error('insert failed');
    return user.id;
  };
  const newConcert = async (capacity: number, maxPerOrder = 4) => {
    const concert = await concerts.insert({
      title: 'Sold Out Show',
      artist: 'A',
      venue: 'V',
      startsAt: inAWeek(),
      status: 'on-sale',
      tiers: [{ name: 'GA', priceCents: 2500, currency: 'EUR', capacity, maxPerOrder }],
    });
    if (!concert?.tiers[0]) throw new Error('concert insert failed');
    return { concertId: concert.id, tierId: concert.tiers[0].id };
  };
  const hold = async (over: Partial<HoldRequest> & Pick<HoldRequest, 'userId' | 'concertId' | 'tierId'>) => {
    const outcome = await reservations.hold({
      quantity: 1,
      idempotencyKey: null,
      holdSeconds: 600,
      perUserLimit: 0,
      activeHoldLimit: 0,
      ...over,
    });
    return outcome;
  };
  const join = (over: Partial<JoinRequest> & Pick<JoinRequest, 'userId' | 'concertId' | 'tierId'>) =>
    waitlist.join({ quantity: 1, perUserLimit: 10, offerSeconds: 300, ...over });
  /** A sold-out tier of `capacity`, all of it held by one buyer; answers the buyer's hold. */
  const soldOut = async (capacity: number) => {
    const tier = await newConcert(capacity);
    const buyer = await newUser();
    const outcome = await hold({ userId: buyer, ...tier, quantity: capacity });
    if (outcome.kind !== 'created') throw new Error(`hold: ${outcome.kind}`);
    return { ...tier, buyer, holdId: outcome.reservation.id };
  };
  const statusOf = async (userId: string) => (await waitlist.listByUser(userId))[0];
  const makeOverdue = (reservationId: string) =>
    db.query(`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      reservationId,
    ]);

  it('joins a sold-out tier in order, answers the same entry again, and refuses what it must', async () => {
    const { concertId, tierId } = await newConcert(3, 2);
    const first = await newUser();
    expect(await join({ userId: first, concertId, tierId, quantity: 2 })).toEqual({
      kind: 'tier-available',
      available: 3,
    });
    expect(await join({ userId: first, concertId, tierId, quantity: 3 })).toEqual({
      kind: 'order-limit',
      maxPerOrder: 2,
    });
    // Above capacity (maxPerOrder 4, capacity 3): it could never be offered, and would close the tier.
    const small = await newConcert(3, 4);
    expect(await join({ userId: first, ...small, quantity: 4 })).toEqual({
      kind: 'order-limit',
      maxPerOrder: 3,
    });
    await hold({ userId: first, concertId, tierId, quantity: 2 });
    expect(await join({ userId: first, concertId, tierId, quantity: 2, perUserLimit: 3 })).toEqual({
      kind: 'user-limit',
      limit: 3,
      current: 2,
    });
    expect(await join({ userId: first, concertId, tierId: concertId })).toEqual({ kind: 'not-found' });

    const second = await newUser();
    // One ticket is left: asking for more than is left must not close it to the open market.
    expect(await join({ userId: second, concertId, tierId, quantity: 2 })).toEqual({
      kind: 'tier-available',
      available: 1,
    });
    const last = await hold({ userId: await newUser(), concertId, tierId });
    if (last.kind !== 'created') throw new Error(`hold: ${last.kind}`);
    const created = await join({ userId: second, concertId, tierId, quantity: 2 });
    expect(created).toMatchObject({
      kind: 'created',
      entry: {
        concertId,
        tierId,
        userId: second,
        quantity: 2,
        status: 'waiting',
        position: 1,
        reservation: null,
      },
    });
    const again = await join({ userId: second, concertId, tierId, quantity: 1 });
    expect(again).toEqual({ kind: 'existing', entry: created.kind === 'created' ? created.entry : null });
    const third = await newUser();
    expect(await join({ userId: third, concertId, tierId })).toMatchObject({
      kind: 'created',
      entry: { position: 2 },
    });

    // The last ticket comes back; the head wants 2 and waits, and the free ticket is owed to the list: the
    // open market sees none and is refused.
    expect(await reservations.cancel(last.reservation.id, null)).toMatchObject({ changed: true });
    expect((await concerts.get(concertId))?.tiers[0]?.available).toBe(0);
    expect(await hold({ userId: await newUser(), concertId, tierId })).toEqual({ kind: 'sold-out' });
    await expectNoOversell(db);
  });

  it('offers released tickets in list order, in the releasing transaction; a head that does not fit waits', async () => {
    const { concertId, tierId, holdId } = await soldOut(4);
    const [big, small, later] = [await newUser(), await newUser(), await newUser()];
    await join({ userId: big, concertId, tierId, quantity: 4 });
    await join({ userId: small, concertId, tierId, quantity: 1 });
    await join({ userId: later, concertId, tierId, quantity: 1 });

    // Raise capacity by 2: the head wants 4, so nobody is offered (strict order) and nobody else may buy.
    const raised = await concerts.update(concertId, {
      tierChanges: [{ id: tierId, capacity: 6 }],
      newTiers: [],
    });
    expect(raised.kind).toBe('updated');
    expect(await statusOf(big)).toMatchObject({ status: 'waiting', position: 1 });
    expect(await statusOf(small)).toMatchObject({ status: 'waiting', position: 2 });
    expect(await hold({ userId: await newUser(), concertId, tierId })).toEqual({ kind: 'sold-out' });

    // The buyer cancels 4: 6 free, the head takes 4, the next two take 1 each, in one transaction.
    expect(await reservations.cancel(holdId, null)).toMatchObject({ kind: 'cancelled', changed: true });
    const offered = await Promise.all([big, small, later].map(statusOf));
    expect(offered.map((entry) => [entry?.status, entry?.position, entry?.reservation?.quantity])).toEqual([
      ['offered', null, 4],
      ['offered', null, 1],
      ['offered', null, 1],
    ]);
    const offer = offered[0]?.reservation;
    expect(offer).toMatchObject({ status: 'held', userId: big, concertId, tierId, totalCents: 10_000 });
    const seconds = (Date.parse(offer?.expiresAt ?? '') - Date.parse(offer?.createdAt ?? '')) / 1000;
    expect(seconds).toBeCloseTo(300, 0);
    expect((await concerts.get(concertId))?.tiers[0]?.available).toBe(0);
    await expectNoOversell(db);
  });

  it('passes an offer that runs out to the next fan, and a claimed offer is claimed', async () => {
    const { concertId, tierId, holdId } = await soldOut(1);
    const [first, second] = [await newUser(), await newUser()];
    await join({ userId: first, concertId, tierId });
    await join({ userId: second, concertId, tierId });
    await reservations.cancel(holdId, null);
    const offer = (await statusOf(first))?.reservation;
    expect(offer?.status).toBe('held');

    await makeOverdue(offer?.id ?? '');
    // Run out, not yet swept: already expired to readers; nobody else may take the ticket.
    expect(await statusOf(first)).toMatchObject({ status: 'expired' });
    expect(await hold({ userId: await newUser(), concertId, tierId })).toEqual({ kind: 'sold-out' });
    // The fan whose offer ran out may join again, behind everyone.
    expect(await join({ userId: first, concertId, tierId })).toMatchObject({
      kind: 'created',
      entry: { position: 2 },
    });
    await maintenance.releaseOverdueHolds();
    const [again, before] = await waitlist.listByUser(first);
    expect(before).toMatchObject({ status: 'expired', reservation: { status: 'expired' } });
    expect(again).toMatchObject({ status: 'waiting', position: 1 });
    const passed = await statusOf(second);
    expect(passed).toMatchObject({ status: 'offered', reservation: { status: 'held', quantity: 1 } });

    const confirmed = await reservations.confirm(passed?.reservation?.id ?? '', second, [newTicketCode()]);
    expect(confirmed.kind).toBe('confirmed');
    expect(await statusOf(second)).toMatchObject({ status: 'claimed' });
    expect((await concerts.get(concertId))?.tiers[0]?.available).toBe(0);
    await expectNoOversell(db);
  });

  it('leaves: a waiting head lets the next fan in, an offer declined goes to the next fan', async () => {
    const { concertId, tierId } = await newConcert(4);
    await hold({ userId: await newUser(), concertId, tierId, quantity: 2 });
    const held = await hold({ userId: await newUser(), concertId, tierId, quantity: 2 });
    const holdId = held.kind === 'created' ? held.reservation.id : '';
    const [head, next, last] = [await newUser(), await newUser(), await newUser()];
    await join({ userId: head, concertId, tierId, quantity: 3 });
    await join({ userId: next, concertId, tierId, quantity: 2 });
    await join({ userId: last, concertId, tierId, quantity: 2 });
    await reservations.cancel(holdId, null); // 2 free, the head wants 3: nobody is offered
    expect(await statusOf(next)).toMatchObject({ status: 'waiting', position: 2 });

    expect(await waitlist.leave(head, concertId, tierId)).toMatchObject({ status: 'left', position: null });
    expect(await statusOf(next)).toMatchObject({ status: 'offered', reservation: { quantity: 2 } });
    expect(await statusOf(last)).toMatchObject({ status: 'waiting', position: 1 });

    expect(await waitlist.leave(next, concertId, tierId)).toMatchObject({
      status: 'left',
      reservation: { status: 'cancelled' },
    });
    expect(await statusOf(last)).toMatchObject({ status: 'offered' });
    expect(await waitlist.leave(next, concertId, tierId)).toBeNull();
    expect(await waitlist.leave(await newUser(), concertId, tierId)).toBeNull();
    await expectNoOversell(db);
  });

  it('closes entries that can no longer be served and offers to the next', async () => {
    const { concertId, tierId, holdId } = await soldOut(2);
    const [greedy, patient] = [await newUser(), await newUser()];
    await join({ userId: greedy, concertId, tierId, quantity: 2, perUserLimit: 2 });
    await join({ userId: patient, concertId, tierId, quantity: 2 });
    // Meanwhile the greedy fan got 2 tickets of the concert elsewhere (a second tier).
    await concerts.update(concertId, {
      tierChanges: [],
      newTiers: [{ name: 'Side', priceCents: 100, currency: 'EUR', capacity: 2, maxPerOrder: 2 }],
    });
    const side = (await concerts.get(concertId))?.tiers[1]?.id ?? '';
    expect((await hold({ userId: greedy, concertId, tierId: side, quantity: 2 })).kind).toBe('created');

    await reservations.cancel(holdId, null);
    expect(await statusOf(greedy)).toMatchObject({ status: 'expired', reservation: null });
    expect(await statusOf(patient)).toMatchObject({ status: 'offered' });
  });

  it('offers nothing while the concert is paused, what is owed when it is back on sale; a cancellation closes the list', async () => {
    const { concertId, tierId, holdId } = await soldOut(1);
    const [first, second] = [await newUser(), await newUser()];
    await join({ userId: first, concertId, tierId });
    await join({ userId: second, concertId, tierId });
    await concerts.update(concertId, { status: 'paused', tierChanges: [], newTiers: [] });
    expect(await reservations.cancel(holdId, null)).toMatchObject({ kind: 'cancelled' });
    expect(await statusOf(first)).toMatchObject({ status: 'waiting', position: 1 });

    await concerts.update(concertId, { status: 'on-sale', tierChanges: [], newTiers: [] });
    expect(await statusOf(first)).toMatchObject({ status: 'offered' });

    await concerts.update(concertId, { status: 'cancelled', tierChanges: [], newTiers: [] });
    expect(await statusOf(first)).toMatchObject({ status: 'left', reservation: { status: 'cancelled' } });
    expect(await statusOf(second)).toMatchObject({ status: 'expired', position: null });
    await expectNoOversell(db);
  });

  it('announces each offer once, with one e-mail, however often asked', async () => {
    const { concertId, tierId, holdId } = await soldOut(1);
    const fan = await newUser();
    await join({ userId: fan, concertId, tierId });
    await reservations.cancel(holdId, null);

    const dedupe = (offers: Array<{ entryId: string; email: string }>) =>
      offers.map((o) => ({
        dedupeKey: `waitlist-offer:${o.entryId}`,
        to: o.email,
        subject: 's',
        text: 't',
        html: 'h',
      }));
    const [first, second] = await Promise.all([
      waitlist.announceOffers(100, dedupe),
      waitlist.announceOffers(100, dedupe),
    ]);
    const announced = [...(first ?? []), ...(second ?? [])].filter((offer) => offer.userId === fan);
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({
      userId: fan,
      name: expect.stringMatching(/^Fan /),
      concertTitle: 'Sold Out Show',
      tierName: 'GA',
      reservation: { status: 'held', concertId, tierId },
    });
    expect(await waitlist.announceOffers(100, dedupe)).toEqual([]);
    const mails = await db.query('SELECT recipient FROM email_outbox WHERE dedupe_key = $1', [
      `waitlist-offer:${announced[0]?.entryId}`,
    ]);
    expect(mails).toHaveLength(1);
  });

  it('counts per tier for the console: waiting, offers made, claimed, expired, left', async () => {
    const { concertId, tierId, holdId } = await soldOut(2);
    const fans = [await newUser(), await newUser(), await newUser(), await newUser()];
    for (const userId of fans) await join({ userId, concertId, tierId });
    await reservations.cancel(holdId, null); // two offers
    const [a, b] = await Promise.all(fans.slice(0, 2).map(statusOf));
    await reservations.confirm(a?.reservation?.id ?? '', fans[0] ?? '', [newTicketCode()]);
    await makeOverdue(b?.reservation?.id ?? '');
    await maintenance.releaseOverdueHolds(); // passes to the third
    await waitlist.leave(fans[3] ?? '', concertId, tierId);
    expect(await waitlist.stats(concertId)).toEqual([
      { tierId, waiting: 0, waitingTickets: 0, offered: 1, offersMade: 3, claimed: 1, expired: 1, left: 1 },
    ]);
    expect(await waitlist.stats(tierId)).toBeNull();
  });
});

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoseAdmissionTokens } from '../../functions/adapters/crypto/jose-admission-tokens';
import { MemoryWaitingRoomStore } from '../../functions/adapters/memory/memory-waiting-room-store';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { PgliteDatabase } from '../../functions/adapters/postgres/pglite-database';
import { RdsDataDatabase } from '../../functions/adapters/postgres/rds-data-database';
import { SqlConcertRepository } from '../../functions/adapters/postgres/sql-concert-repository';
import { SqlQueueAdmissionRepository } from '../../functions/adapters/postgres/sql-queue-admission-repository';
import { SqlUserRepository } from '../../functions/adapters/postgres/sql-user-repository';
import { redisKeys } from '../../functions/adapters/redis/redis-keys';
import { RedisWaitingRoomStore } from '../../functions/adapters/redis/redis-waiting-room-store';
import { joinQueue, queuePosition, type WaitingRoomDeps } from '../../functions/core/waiting-room.service';
import { AdmissionTicker } from '../../functions/core/waiting-room-live';
import { migrate } from '../../functions/db/migrate';
import type { SqlDatabase } from '../../functions/ports/sql-database.port';
import type { WaitingRoomStore } from '../../functions/ports/waiting-room.store.port';
import { type LocalDataApi, localDataApiOptions, startLocalDataApi } from '../support/local-data-api';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { concertsOf, MemoryAdmissionRepository, queuedConcert } from '../support/waiting-room-fakes';

const prefix = testRedisPrefix();
const clients: Redis[] = [];
/** A Redis store as one service instance holds it: its own connection, the shared prefix. */
const instance = () => {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  clients.push(redis);
  return new RedisWaitingRoomStore(redis, redisKeys(prefix));
};

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await dropRedisPrefix(prefix);
});

describe.each([
  ['Redis', () => instance()],
  ['memory', () => new MemoryWaitingRoomStore()],
] as const)('the waiting-room store in %s', (_name, open) => {
  let store: WaitingRoomStore;
  beforeAll(() => {
    store = open();
  });

  it('keeps each admission window end as given, and reads an entry stored without one', async () => {
    const concertId = randomUUID();
    await store.join(concertId, 'fan', { kind: 'arrival' });
    await store.markAdmitted(concertId, [
      { userId: 'fan', admittedAtMs: 5_000, closesAtMs: 65_000 },
      { userId: 'legacy', admittedAtMs: 7_000 },
    ]);
    const [place] = await store.join(concertId, 'fan', { kind: 'arrival' }).then((r) => [r.place]);
    expect(place).toEqual({ state: 'admitted', admittedAtMs: 5_000, closesAtMs: 65_000 });
    expect(await store.places(concertId, ['fan', 'legacy'])).toEqual([
      { state: 'admitted', admittedAtMs: 5_000, closesAtMs: 65_000 },
      { state: 'admitted', admittedAtMs: 7_000 },
    ]);
  });

  it('orders draws before arrivals, ranks among those waiting, admits in order', async () => {
    const concertId = randomUUID();
    await store.join(concertId, 'late-1', { kind: 'arrival' });
    await store.join(concertId, 'early-b', { kind: 'draw', score: 0.75 });
    await store.join(concertId, 'early-a', { kind: 'draw', score: 0.25 });
    await store.join(concertId, 'late-2', { kind: 'arrival' });
    expect(await store.peekNext(concertId, 10)).toEqual(['early-a', 'early-b', 'late-1', 'late-2']);
    await store.markAdmitted(concertId, [{ userId: 'early-a', admittedAtMs: 1_234 }]);
    const places = await store.places(concertId, ['early-a', 'early-b', 'late-2', 'nobody']);
    expect(places).toEqual([
      { state: 'admitted', admittedAtMs: 1_234 },
      { state: 'waiting', score: 0.75, rank: 0 },
      { state: 'waiting', score: 3, rank: 2 },
      null,
    ]);
    expect(await store.counts(concertId)).toEqual({ waiting: 3, admitted: 1 });
    // Joining again keeps the place, admitted or waiting.
    expect((await store.join(concertId, 'early-a', { kind: 'arrival' })).created).toBe(false);
    expect(await store.join(concertId, 'late-1', { kind: 'draw', score: 0 })).toEqual({
      place: { state: 'waiting', score: 2, rank: 1 },
      created: false,
    });
  });

  it('puts every arrival still waiting into the draw, leaving draws and admitted fans as they are', async () => {
    const concertId = randomUUID();
    await store.join(concertId, 'drawn', { kind: 'draw', score: 0.5 });
    const arrivals = Array.from({ length: 40 }, (_, index) => `arrival-${index}`);
    for (const id of arrivals) await store.join(concertId, id, { kind: 'arrival' });
    await store.markAdmitted(concertId, [{ userId: 'arrival-0', admittedAtMs: 7 }]);
    const draws = [0.9, 0.1, 0.3];
    let next = 0;
    // More arrivals than the first script batch; each gets the next draw, in arrival order.
    const redrawn = await store.drawArrivals(concertId, () => (draws[next++] ?? 0.95 + next * 1e-4) % 1);
    expect(redrawn).toBe(39);
    const places = await store.places(concertId, [
      'drawn',
      'arrival-0',
      'arrival-1',
      'arrival-2',
      'arrival-3',
    ]);
    expect(places).toEqual([
      { state: 'waiting', score: 0.5, rank: 2 },
      { state: 'admitted', admittedAtMs: 7 },
      { state: 'waiting', score: 0.9, rank: 3 },
      { state: 'waiting', score: 0.1, rank: 0 },
      { state: 'waiting', score: 0.3, rank: 1 },
    ]);
    const all = await store.places(concertId, arrivals.slice(1));
    expect(all.every((place) => place?.state === 'waiting' && place.score < 1)).toBe(true);
    expect(await store.counts(concertId)).toEqual({ waiting: 40, admitted: 1 });
    expect(await store.drawArrivals(concertId, () => 0.5)).toBe(0);
  });

  it('keeps the pacing with its recent steps', async () => {
    const concertId = randomUUID();
    expect(await store.readPacing(concertId)).toBeNull();
    await store.writePacing(concertId, { atMs: 5, carry: 0.5, ratePerMinute: 60, recent: [[5, 1]] });
    expect(await store.readPacing(concertId)).toEqual({
      atMs: 5,
      carry: 0.5,
      ratePerMinute: 60,
      recent: [[5, 1]],
    });
  });
});

describe('two service instances on one Redis prefix', () => {
  it('give one place per fan under concurrent joins', async () => {
    const [a, b] = [instance(), instance()];
    const concertId = randomUUID();
    const fans = Array.from({ length: 200 }, () => randomUUID());
    // Every fan joins through both instances at once, several times, drawn and by arrival.
    const joins = fans.flatMap((userId) => [
      a.join(concertId, userId, { kind: 'arrival' }),
      b.join(concertId, userId, { kind: 'arrival' }),
      a.join(concertId, userId, { kind: 'draw', score: Math.random() }),
      b.join(concertId, userId, { kind: 'arrival' }),
    ]);
    const answers = await Promise.all(joins);
    expect(answers.filter((answer) => answer.created)).toHaveLength(200);
    expect(await a.counts(concertId)).toEqual({ waiting: 200, admitted: 0 });
    // Each fan's four answers agree on one place.
    for (let i = 0; i < fans.length; i++) {
      const scores = answers
        .slice(i * 4, i * 4 + 4)
        .map((answer) => (answer.place.state === 'waiting' ? answer.place.score : -1));
      expect(new Set(scores).size).toBe(1);
    }
  });

  it('run one admission ticker at a time: two tickers, one lease, one rate', async () => {
    const clock = { now: Date.now() };
    const concert = queuedConcert({}, { admissionPerMinute: 300 });
    const admissions = new MemoryAdmissionRepository();
    const deps = (store: WaitingRoomStore): WaitingRoomDeps => ({
      store,
      admissions,
      tokens: new JoseAdmissionTokens('a-test-secret-of-enough-length-0123456789'),
      concerts: concertsOf(concert),
      now: () => clock.now,
      random: Math.random,
    });
    const [a, b] = [instance(), instance()];
    for (let i = 0; i < 100; i++) await a.join(concert.id, `fan-${i}`, { kind: 'arrival' });
    const one = new AdmissionTicker(deps(a), { holder: `one-${randomUUID()}` });
    const two = new AdmissionTicker(deps(b), { holder: `two-${randomUUID()}` });
    let leaders = 0;
    for (let second = 0; second < 4; second++) {
      clock.now += 1_000;
      const steps = await Promise.all([one.tick(), two.tick()]);
      leaders += steps.filter((step) => step !== null).length;
    }
    expect(leaders).toBe(4); // exactly one leader each second
    expect(admissions.records.size).toBe(20); // 5 a second for 4 s: not doubled
    await one.stop();
    await two.stop();
  });

  it('after the prefix is flushed mid-sale: nobody is admitted twice, the admitted keep their window, the waiting re-join', async () => {
    const clock = { now: Date.now() };
    const concert = queuedConcert({}, { admissionPerMinute: 60 });
    const admissions = new MemoryAdmissionRepository();
    const store = instance();
    const deps: WaitingRoomDeps = {
      store,
      admissions,
      tokens: new JoseAdmissionTokens('a-test-secret-of-enough-length-0123456789'),
      concerts: concertsOf(concert),
      now: () => clock.now,
      random: Math.random,
    };
    const fans = Array.from({ length: 3 }, () => ({ userId: randomUUID(), role: 'customer' as const }));
    for (const fan of fans) await joinQueue(deps, fan, concert.id);
    const ticker = new AdmissionTicker(deps, { holder: randomUUID() });
    clock.now += 1_000;
    await ticker.tick(); // one fan admitted
    const [first, second, third] = fans as [(typeof fans)[0], (typeof fans)[0], (typeof fans)[0]];
    const before = await queuePosition(deps, first, concert.id);
    expect(before.status).toBe('admitted');

    await dropRedisPrefix(prefix); // the store is lost

    await expect(queuePosition(deps, second, concert.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Re-join order: third asks first, then second.
    expect(await joinQueue(deps, third, concert.id)).toMatchObject({ status: 'waiting', position: 1 });
    expect(await joinQueue(deps, second, concert.id)).toMatchObject({ status: 'waiting', position: 2 });
    // The admitted fan is admitted again with the same window, by a read or by a join.
    expect(await queuePosition(deps, first, concert.id)).toMatchObject({
      status: 'admitted',
      admittedAt: before.admittedAt,
      admission: { expiresAt: before.admission?.expiresAt },
    });
    for (let i = 0; i < 3; i++) {
      clock.now += 1_000;
      await ticker.tick();
    }
    expect(admissions.records.size).toBe(3);
    expect((await admissions.find(concert.id, first.userId))?.admittedAtMs).toBe(
      Date.parse(before.admittedAt ?? ''),
    );
    expect((await admissions.find(concert.id, third.userId))?.admittedAtMs).toBeLessThan(
      (await admissions.find(concert.id, second.userId))?.admittedAtMs ?? 0,
    );
    await ticker.stop();
  });
});

describe.each(['node-postgres', 'RDS Data API', 'PGlite'] as const)('waiting room SQL on %s', (driver) => {
  let database: TestDatabase | undefined;
  let api: LocalDataApi | undefined;
  let db: SqlDatabase;

  beforeAll(async () => {
    if (driver === 'PGlite') db = await PgliteDatabase.open();
    else {
      database = await createTestDatabase();
      if (driver === 'node-postgres')
        db = new PgDatabase({ connectionString: database.url, maxConnections: 2 });
      else {
        api = await startLocalDataApi(database.url);
        db = new RdsDataDatabase(localDataApiOptions(api, database.name));
      }
    }
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await api?.close();
    await database?.drop();
  });

  const tier = { name: 'GA', priceCents: 1000, currency: 'USD', capacity: 10, maxPerOrder: 4 };

  it('stores the on-sale time and waiting room, echoes them, and bumps the version when they change', async () => {
    const concerts = new SqlConcertRepository(db);
    const plain = await concerts.insert({
      title: 'Plain',
      artist: 'A',
      venue: 'V',
      startsAt: '2030-01-01T20:00:00.000Z',
      status: 'on-sale',
      tiers: [tier],
    });
    expect(plain?.onSaleAt).toBeUndefined();
    expect(plain?.waitingRoom).toBeUndefined();
    const queued = await concerts.insert({
      title: 'Queued',
      artist: 'A',
      venue: 'V',
      startsAt: '2030-01-01T20:00:00.000Z',
      status: 'on-sale',
      tiers: [tier],
      onSaleAt: '2029-12-01T10:00:00.000Z',
      waitingRoom: { enabled: true, admissionPerMinute: 'auto', admissionWindowSeconds: 300, paused: false },
    });
    expect(queued).toMatchObject({
      onSaleAt: '2029-12-01T10:00:00.000Z',
      waitingRoom: { enabled: true, admissionPerMinute: 'auto', admissionWindowSeconds: 300, paused: false },
    });
    const changed = await concerts.update(queued?.id ?? '', {
      waitingRoom: { paused: true, admissionPerMinute: 120 },
      tierChanges: [],
      newTiers: [],
    });
    expect(changed).toMatchObject({
      kind: 'updated',
      concert: {
        waitingRoom: { enabled: true, admissionPerMinute: 120, admissionWindowSeconds: 300, paused: true },
        onSaleAt: '2029-12-01T10:00:00.000Z',
      },
    });
    if (changed.kind !== 'updated' || !queued) throw new Error('expected an update');
    expect(changed.concert.version).toBeGreaterThan(queued.version);
    // Paused or not, a concert on sale with its waiting room on is one the ticker steps through.
    expect(await new SqlQueueAdmissionRepository(db).queuedConcertIds()).toEqual([queued.id]);
    const cleared = await concerts.update(queued.id, { onSaleAt: null, tierChanges: [], newTiers: [] });
    expect(cleared.kind === 'updated' && cleared.concert.onSaleAt).toBeUndefined();
    // Setting a waiting room on a concert that had none starts from the defaults.
    const enabled = await concerts.update(plain?.id ?? '', {
      waitingRoom: { enabled: true },
      tierChanges: [],
      newTiers: [],
    });
    expect(enabled.kind === 'updated' && enabled.concert.waitingRoom).toEqual({
      enabled: true,
      admissionPerMinute: 'auto',
      admissionWindowSeconds: 600,
      paused: false,
    });
  });

  it('records each admission once: an earlier admission wins, figures count what is open', async () => {
    const concerts = new SqlConcertRepository(db);
    const users = new SqlUserRepository(db);
    const concert = await concerts.insert({
      title: 'Q',
      artist: 'A',
      venue: 'V',
      startsAt: '2030-01-01T20:00:00.000Z',
      status: 'on-sale',
      tiers: [tier],
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const user = await users.insert({
        email: `${driver.replace(/\W/g, '')}-${i}-${randomUUID()}@x.test`,
        name: 'U',
        passwordHash: 'h',
        role: 'customer',
      });
      if (!user) throw new Error('no user');
      ids.push(user.id);
    }
    const repository = new SqlQueueAdmissionRepository(db);
    const concertId = concert?.id ?? '';
    const now = Date.now();
    const first = await repository.record(concertId, [
      { userId: ids[0] ?? '', admittedAtMs: now - 1_000_000, expiresAtMs: now - 1 },
      { userId: ids[1] ?? '', admittedAtMs: now, expiresAtMs: now + 600_000 },
    ]);
    expect(first.map((record) => record.userId)).toEqual([ids[0], ids[1]]);
    const again = await repository.record(concertId, [
      { userId: ids[1] ?? '', admittedAtMs: now + 5_000, expiresAtMs: now + 605_000 },
      { userId: ids[2] ?? '', admittedAtMs: now + 5_000, expiresAtMs: now + 605_000 },
    ]);
    expect(again).toEqual([
      { userId: ids[1], admittedAtMs: now, expiresAtMs: now + 600_000 },
      { userId: ids[2], admittedAtMs: now + 5_000, expiresAtMs: now + 605_000 },
    ]);
    expect(await repository.find(concertId, ids[0] ?? '')).toMatchObject({ admittedAtMs: now - 1_000_000 });
    expect(await repository.find(concertId, randomUUID())).toBeNull();
    expect(await repository.figures(concertId, now + 1)).toEqual({
      openAdmissions: 2,
      admitted: 3,
      sold: 0,
      held: 0,
      averageOrderSize: null,
    });
    // What each admitted fan did with the admission (attack F4): bought, held (live), or nothing.
    const tierId = concert?.tiers[0]?.id ?? '';
    const reservation = (userId: string, quantity: number, status: string, expiresInMs: number) =>
      db.query(
        `INSERT INTO reservations (user_id, concert_id, tier_id, quantity, total_cents, currency, status, expires_at)
         VALUES ($1::uuid, $2::uuid, $3::uuid, $4, 0, 'USD', $5, $6::timestamptz)`,
        [userId, concertId, tierId, quantity, status, new Date(Date.now() + expiresInMs).toISOString()],
      );
    await reservation(ids[0] ?? '', 2, 'confirmed', 600_000);
    await reservation(ids[0] ?? '', 1, 'held', -60_000); // ran out: not held
    await reservation(ids[1] ?? '', 1, 'held', 600_000);
    const usage = await repository.purchases(concertId, [...ids, randomUUID(), 'not-a-uuid'], Date.now());
    expect(usage).toEqual(
      new Map([
        [ids[0], { bought: 2, held: 0 }],
        [ids[1], { bought: 0, held: 1 }],
      ]),
    );
  });
});

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JoseAdmissionTokens } from '../../functions/adapters/crypto/jose-admission-tokens';
import { JoseTokenService } from '../../functions/adapters/crypto/jose-token-service';
import { MemoryWaitingRoomStore } from '../../functions/adapters/memory/memory-waiting-room-store';
import { AUTO_MARGIN, admissionsDue, autoAllowance, placeRequest } from '../../functions/core/waiting-room';
import {
  admitStep,
  joinQueue,
  queueOverview,
  queuePosition,
  queueViews,
  requireAdmission,
  updateQueuedConcert,
  type WaitingRoomDeps,
} from '../../functions/core/waiting-room.service';
import {
  AdmissionTicker,
  followQueue,
  MemoryQueueFollowers,
  QUEUE_UPDATE_MIN_INTERVAL_MS,
  QueuePositionFeed,
} from '../../functions/core/waiting-room-live';
import type { ConcertChange, ConcertRepository } from '../../functions/ports/concert.repository.port';
import type { RealtimeEvents } from '../../functions/ports/realtime-events.port';
import type { Pacing } from '../../functions/ports/waiting-room.store.port';
import {
  concertsOf,
  MemoryAdmissionRepository,
  queuedConcert,
  seededRandom,
} from '../support/waiting-room-fakes';

const SECRET = 'a-test-secret-of-enough-length-0123456789';
const fan = (userId = randomUUID()) => ({ userId, role: 'customer' as const });

function deps(concerts: ReturnType<typeof concertsOf>, clock: { now: number }, random = Math.random) {
  const store = new MemoryWaitingRoomStore(() => clock.now);
  const admissions = new MemoryAdmissionRepository();
  const all: WaitingRoomDeps = {
    store,
    admissions,
    tokens: new JoseAdmissionTokens(SECRET),
    concerts,
    now: () => clock.now,
    random,
  };
  return { ...all, store, admissions, all };
}

/** Pearson's chi-square of a fans × positions count table against the uniform expectation. */
function chiSquare(table: number[][], trials: number): number {
  const expected = trials / table.length;
  return table.flat().reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
}

/** Where each of `fans` early joiners ends up, over `trials` draws: counts[fan][position]. */
async function drawPositions(fans: number, trials: number, early: boolean): Promise<number[][]> {
  const random = seededRandom(20_261_130);
  const counts = Array.from({ length: fans }, () => new Array<number>(fans).fill(0));
  const onSaleAtMs = 1_000_000;
  for (let trial = 0; trial < trials; trial++) {
    const store = new MemoryWaitingRoomStore();
    const ids = Array.from({ length: fans }, (_, index) => `fan-${index}`);
    // Always in the same order: fan 0 is the earliest every time and must gain nothing by it.
    for (const [index, id] of ids.entries()) {
      const now = early ? onSaleAtMs - 60_000 + index : onSaleAtMs + index;
      await store.join('c', id, placeRequest(now, onSaleAtMs, random));
    }
    const places = await store.places('c', ids);
    places.forEach((place, index) => {
      if (place?.state !== 'waiting') throw new Error('expected a waiting place');
      const row = counts[index] as number[];
      row[place.rank] = (row[place.rank] ?? 0) + 1;
    });
  }
  return counts;
}

describe('the draw at onSaleAt', () => {
  // 8 fans: (8 - 1)² = 49 degrees of freedom; P(χ² > 85.35) = 0.001 under a uniform draw.
  const CRITICAL_49_DOF_P001 = 85.35;

  it('gives every fan present before on-sale the same chance of every position (chi-square, fixed seed)', async () => {
    const trials = 16_000;
    const counts = await drawPositions(8, trials, true);
    expect(chiSquare(counts, trials)).toBeLessThan(CRITICAL_49_DOF_P001);
    // Each fan's chance of first place is 1/8 give or take sampling noise.
    for (const row of counts) expect(Math.abs((row[0] ?? 0) / trials - 1 / 8)).toBeLessThan(0.015);
  });

  it('the same test catches an unfair order (arrival order only): the statistic is not blind', async () => {
    const trials = 2_000;
    expect(chiSquare(await drawPositions(8, trials, false), trials)).toBeGreaterThan(CRITICAL_49_DOF_P001);
  });

  it('queues later arrivals behind every early joiner, first come first served', async () => {
    const store = new MemoryWaitingRoomStore();
    const random = seededRandom(7);
    const onSaleAtMs = 5_000;
    for (let i = 0; i < 50; i++)
      await store.join('c', `early-${i}`, placeRequest(1_000 + i, onSaleAtMs, random));
    for (let i = 0; i < 50; i++)
      await store.join('c', `late-${i}`, placeRequest(6_000 + i, onSaleAtMs, random));
    const late = await store.places(
      'c',
      Array.from({ length: 50 }, (_, i) => `late-${i}`),
    );
    expect(late.map((place) => (place?.state === 'waiting' ? place.rank : -1))).toEqual(
      Array.from({ length: 50 }, (_, i) => 50 + i),
    );
  });
});

describe('admission pacing', () => {
  it('admits at most rate/60 (+1) fans in any one second, however irregular or late the steps', () => {
    const random = seededRandom(3);
    for (const rate of [1, 7, 60, 250, 3_000]) {
      let pacing: Pacing | null = null;
      let now = 0;
      const admissions: number[] = [];
      for (let step = 0; step < 2_000; step++) {
        now += random() < 0.05 ? 5_000 * random() : 1_000 * random(); // sometimes a stalled ticker
        const due = admissionsDue(rate, pacing, now);
        pacing = due.pacing;
        for (let i = 0; i < due.count; i++) admissions.push(now);
      }
      // Admissions in [at, at + 1 s) for every admission time `at` (sorted: a sliding window, linear;
      // the quadratic filter it replaces ran past the test timeout on the loaded shared machine).
      let most = 0;
      for (let i = 0, low = 0, high = 0; i < admissions.length; i++) {
        const at = admissions[i] as number;
        while ((admissions[low] as number) < at) low++;
        while (high < admissions.length && (admissions[high] as number) < at + 1_000) high++;
        most = Math.max(most, high - low);
      }
      expect(most).toBeLessThanOrEqual(Math.floor(rate / 60) + 1);
      // And it keeps up: over the whole run, close to the rate (stalls lose their time, never burst).
      expect(admissions.length).toBeGreaterThan(0);
    }
  });
});

describe('auto admission', () => {
  it(`never keeps more fans admitted than what is left can serve, plus ${AUTO_MARGIN * 100} %`, async () => {
    const clock = { now: 0 };
    const concert = queuedConcert(
      { onSaleAt: new Date(0).toISOString() },
      { admissionPerMinute: 'auto', admissionWindowSeconds: 120 },
    );
    const concerts = concertsOf(concert);
    const d = deps(concerts, clock, seededRandom(11));
    const random = seededRandom(12);
    for (let i = 0; i < 5_000; i++) await d.store.join(concert.id, `fan-${i}`, { kind: 'arrival' });
    let available = 1_000;
    let sold = 0;
    const bought = new Set<string>();
    const orders: number[] = [];
    let worstExcess = Number.NEGATIVE_INFINITY;
    for (let second = 0; second < 1_200 && available > 0; second++) {
      clock.now = second * 1_000;
      concerts.byId.set(concert.id, { ...concert, availableTickets: available });
      const step = await admitStep(d.all, (await concerts.get(concert.id)) ?? concert, clock.now);
      // The bound, read right after a step that admitted, with the figures it used. (Between steps the bound
      // may fall below what is open, when buyers take more than the average: then nobody more is admitted.)
      const figures = await d.admissions.figures(concert.id, clock.now);
      const bound = Math.ceil((available / (figures.averageOrderSize ?? 2)) * (1 + AUTO_MARGIN));
      if (step.admitted > 0) worstExcess = Math.max(worstExcess, figures.openAdmissions - bound);
      // Admitted fans in their window buy 1–4 tickets with some chance each second; 30 % never buy.
      for (const record of d.admissions.records.values()) {
        if (bought.has(record.userId) || record.expiresAtMs <= clock.now || available <= 0) continue;
        if (Number(record.userId.slice(4)) % 10 < 3) continue;
        if (random() < 0.2) {
          const quantity = Math.min(available, 1 + Math.floor(random() * 4));
          available -= quantity;
          sold += quantity;
          orders.push(quantity);
          bought.add(record.userId);
          d.admissions.reserved.add(record.userId);
        }
      }
      d.admissions.sales = { sold, held: 0, averageOrderSize: orders.length ? sold / orders.length : null };
    }
    expect(available).toBe(0); // it sells out…
    expect(worstExcess).toBeLessThanOrEqual(0); // …and never keeps more admitted than the bound
    // Sold out: nobody more is admitted, whatever waits.
    const before = d.admissions.records.size;
    concerts.byId.set(concert.id, { ...concert, availableTickets: 0 });
    const last = await admitStep(d.all, { ...concert, availableTickets: 0 }, clock.now + 1_000);
    expect(last).toMatchObject({ admitted: 0, idle: 'sold-out' });
    expect(d.admissions.records.size).toBe(before);
    expect(before).toBeLessThan(5_000);
  });

  it('admits nobody into a sold-out concert and counts live holds as what may come back', () => {
    expect(
      autoAllowance({ availableTickets: 0, heldTickets: 50, averageOrderSize: 2, openAdmissions: 0 }),
    ).toBe(0);
    expect(
      autoAllowance({ availableTickets: 10, heldTickets: 10, averageOrderSize: 2, openAdmissions: 0 }),
    ).toBe(12);
    expect(
      autoAllowance({ availableTickets: 10, heldTickets: 10, averageOrderSize: 2, openAdmissions: 12 }),
    ).toBe(0);
  });
});

describe('places, statuses and the store-loss rule', () => {
  it('one place per fan: joining again answers the same place', async () => {
    const clock = { now: 10_000 };
    const concert = queuedConcert({ onSaleAt: new Date(20_000).toISOString() });
    const d = deps(concertsOf(concert), clock);
    const a = fan();
    const first = await joinQueue(d.all, a, concert.id);
    expect(first).toEqual({ status: 'before-sale', opensAt: new Date(20_000).toISOString() });
    await joinQueue(d.all, fan(), concert.id);
    await joinQueue(d.all, a, concert.id);
    expect((await d.store.counts(concert.id)).waiting).toBe(2);
    clock.now = 21_000;
    const again = await queuePosition(d.all, a, concert.id);
    expect(again.status).toBe('waiting');
    expect(again.position).toBeGreaterThanOrEqual(1);
  });

  it('tells every waiting fan sold-out at once, and back to waiting when tickets return', async () => {
    const clock = { now: 10_000 };
    const concert = queuedConcert();
    const concerts = concertsOf(concert);
    const d = deps(concerts, clock);
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const id of ids) await joinQueue(d.all, fan(id), concert.id);
    concerts.byId.set(concert.id, { ...concert, availableTickets: 0 });
    expect((await queueViews(d.all, concert.id, ids)).map((view) => view?.status)).toEqual(
      ids.map(() => 'sold-out'),
    );
    concerts.byId.set(concert.id, { ...concert, availableTickets: 3 });
    expect((await queueViews(d.all, concert.id, ids)).map((view) => view?.status)).toEqual(
      ids.map(() => 'waiting'),
    );
  });

  it('after the store is lost: the admitted fan is admitted again with the same window, nobody twice; waiting fans re-join', async () => {
    const clock = { now: 100_000 };
    const concert = queuedConcert({}, { admissionPerMinute: 60 });
    const d = deps(concertsOf(concert), clock);
    const [first, second] = [fan(), fan()];
    await joinQueue(d.all, first, concert.id);
    await joinQueue(d.all, second, concert.id);
    await admitStep(d.all, concert, clock.now); // one second at 60/min: one fan
    const admitted = await queuePosition(d.all, first, concert.id);
    expect(admitted.status).toBe('admitted');

    d.store.clear(); // the store is lost mid-sale
    clock.now += 5_000;
    await expect(queuePosition(d.all, second, concert.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const back = await joinQueue(d.all, first, concert.id);
    expect(back).toMatchObject({ status: 'admitted', admittedAt: admitted.admittedAt });
    expect(back.admission?.expiresAt).toBe(admitted.admission?.expiresAt);
    const requeued = await joinQueue(d.all, second, concert.id);
    expect(requeued).toMatchObject({ status: 'waiting', position: 1 });
    // The next steps admit the second fan; the first is never recorded twice.
    for (let i = 0; i < 3; i++) {
      clock.now += 1_000;
      await admitStep(d.all, concert, clock.now);
    }
    expect(d.admissions.records.size).toBe(2);
    expect((await d.admissions.find(concert.id, first.userId))?.admittedAtMs).toBe(100_000);
  });

  it('review: a window is fixed when given: shortening or lengthening admissionWindowSeconds mid-sale moves none', async () => {
    const clock = { now: 100_000 };
    const concert = queuedConcert({}, { admissionPerMinute: 60, admissionWindowSeconds: 600 });
    const d = deps(concertsOf(concert), clock);
    const [first, second] = [fan(), fan()];
    await joinQueue(d.all, first, concert.id);
    await joinQueue(d.all, second, concert.id);
    await admitStep(d.all, concert, clock.now);
    const given = await queuePosition(d.all, first, concert.id);
    expect(given.admission?.expiresAt).toBe(new Date(100_000 + 600_000).toISOString());

    // Shortened to 60 s two minutes in: the first fan's window still runs to its end.
    concert.waitingRoom = {
      ...(concert.waitingRoom as NonNullable<typeof concert.waitingRoom>),
      admissionWindowSeconds: 60,
    };
    clock.now += 120_000;
    const shortened = await queuePosition(d.all, first, concert.id);
    expect(shortened.status).toBe('admitted');
    expect(shortened.admission?.expiresAt).toBe(given.admission?.expiresAt);
    // A fan admitted now gets the new, shorter window.
    await admitStep(d.all, concert, clock.now);
    expect((await queuePosition(d.all, second, concert.id)).admission?.expiresAt).toBe(
      new Date(clock.now + 60_000).toISOString(),
    );

    // The first window closes; lengthened to an hour afterwards, it does not re-open (no new token).
    clock.now = 100_000 + 600_000 + 1;
    concert.waitingRoom = { ...concert.waitingRoom, admissionWindowSeconds: 3_600 };
    const lengthened = await queuePosition(d.all, first, concert.id);
    expect(lengthened.status).toBe('window-expired');
    expect(lengthened.admission).toBeUndefined();
    // The same after the store is lost: the durable record carries the window.
    d.store.clear();
    expect((await joinQueue(d.all, first, concert.id)).status).toBe('window-expired');
  });

  it('_attack F4_: a closed window says whether the admission was used (reserved, tickets bought), on GET and the feed', async () => {
    const clock = { now: 100_000 };
    const concert = queuedConcert({}, { admissionPerMinute: 120, admissionWindowSeconds: 60 });
    const d = deps(concertsOf(concert), clock);
    const [buyer, holder, idle] = [fan(), fan(), fan()];
    for (const who of [buyer, holder, idle]) await joinQueue(d.all, who, concert.id);
    await admitStep(d.all, concert, clock.now);
    clock.now += 1_000;
    await admitStep(d.all, concert, clock.now);
    d.admissions.usage.set(buyer.userId, { bought: 2, held: 0 });
    d.admissions.usage.set(holder.userId, { bought: 0, held: 1 });
    clock.now += 120_000; // every window closed
    expect(await queuePosition(d.all, buyer, concert.id)).toMatchObject({
      status: 'window-expired',
      reserved: true,
      ticketsBought: 2,
    });
    expect(await joinQueue(d.all, holder, concert.id)).toMatchObject({
      status: 'window-expired',
      reserved: true,
      ticketsBought: 0,
    });
    const views = await queueViews(d.all, concert.id, [buyer.userId, idle.userId]);
    expect(views[0]).toMatchObject({ status: 'window-expired', reserved: true, ticketsBought: 2 });
    expect(views[1]).toMatchObject({ status: 'window-expired', reserved: false, ticketsBought: 0 });
  });

  it('review: turning the waiting room off sends followers one last message (admitted, waitingRoom off), then none', async () => {
    const clock = { now: 100_000 };
    const concert = queuedConcert({}, { paused: true });
    const d = deps(concertsOf(concert), clock);
    const followers = new MemoryQueueFollowers();
    const sent: Array<{ connectionId: string; status: string; waitingRoom?: string; admission?: unknown }> =
      [];
    const feed = new QueuePositionFeed({
      followers,
      views: (concertId, userIds) => queueViews(d.all, concertId, userIds),
      rejoin: (concertId, userId, lastPosition) =>
        joinQueue(d.all, { userId, role: 'customer' }, concertId, { rejoin: { lastPosition } }),
      push: async (connectionId, message) => {
        sent.push({ connectionId, ...message });
        return 'sent';
      },
      now: () => clock.now,
    });
    const userId = randomUUID();
    const follower = { connectionId: 'c1', userId, concertId: concert.id };
    await followers.add(follower);
    feed.answered(follower, await joinQueue(d.all, fan(userId), concert.id));
    concert.waitingRoom = {
      ...(concert.waitingRoom as NonNullable<typeof concert.waitingRoom>),
      enabled: false,
    };
    clock.now += 200; // within the follower's second: a change of state goes out at once
    await feed.refresh();
    expect(sent).toEqual([
      expect.objectContaining({ connectionId: 'c1', status: 'admitted', waitingRoom: 'off' }),
    ]);
    expect(sent[0]?.admission).toBeUndefined();
    expect(await followers.list()).toEqual([]);
    clock.now += 5_000;
    await feed.refresh();
    expect(sent).toHaveLength(1);
  });

  it('the live feed re-queues followers who lost their place in the order they last saw, and says so', async () => {
    const clock = { now: 50_000 };
    const concert = queuedConcert({}, { paused: true });
    const d = deps(concertsOf(concert), clock);
    const followers = new MemoryQueueFollowers();
    const sent: Array<{ connectionId: string; position?: number; requeued?: boolean }> = [];
    const feed = new QueuePositionFeed({
      followers,
      views: (concertId, userIds) => queueViews(d.all, concertId, userIds),
      rejoin: (concertId, userId, lastPosition) =>
        joinQueue(d.all, { userId, role: 'customer' }, concertId, { rejoin: { lastPosition } }),
      push: async (connectionId, message) => {
        sent.push({ connectionId, position: message.position, requeued: message.requeued });
        return 'sent';
      },
      now: () => clock.now,
    });
    const ids = Array.from({ length: 4 }, () => randomUUID());
    for (const [index, userId] of ids.entries()) {
      await followers.add({ connectionId: `c${index}`, userId, concertId: concert.id });
      feed.answered(
        { connectionId: `c${index}`, userId, concertId: concert.id },
        await joinQueue(d.all, fan(userId), concert.id),
      );
    }
    await feed.refresh();
    expect(sent).toEqual([]); // nothing changed: nothing sent
    d.store.clear();
    clock.now += 2_000;
    await feed.refresh();
    expect(sent.map((message) => [message.connectionId, message.position, message.requeued])).toEqual([
      ['c0', 1, true],
      ['c1', 2, true],
      ['c2', 3, true],
      ['c3', 4, true],
    ]);
  });
});

/** A join throttle allowing `limit` joins per address (the counting of QUEUE_JOINS_PER_ADDRESS_PER_MINUTE). */
function throttleOf(limit: number) {
  const joins = new Map<string, number>();
  return {
    joins,
    join: async (address: string) => {
      const count = (joins.get(address) ?? 0) + 1;
      joins.set(address, count);
      return count <= limit
        ? { allowed: true, retryAfterSeconds: 0 }
        : { allowed: false, retryAfterSeconds: 60 };
    },
  };
}

describe('attack fixes (queue joins, re-joins, answers)', () => {
  it('a fan without a known address is still limited; only the service re-join is exempt, by its flag', async () => {
    const clock = { now: 10_000 };
    const concert = queuedConcert();
    const d = deps(concertsOf(concert), clock);
    const throttle = throttleOf(2);
    const all = { ...d.all, joinThrottle: throttle };
    await joinQueue(all, fan(), concert.id, { clientAddress: undefined });
    await joinQueue(all, fan(), concert.id); // the default origin: a fan, address unknown
    await expect(joinQueue(all, fan(), concert.id, { clientAddress: undefined })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
    expect(throttle.joins.get('unknown')).toBe(3);
    const view = await joinQueue(all, fan(), concert.id, { rejoin: { lastPosition: null } });
    expect(view.status).toBe('waiting');
    expect(throttle.joins.get('unknown')).toBe(3);
  });

  it('a refresh of a place held is free: only joins that create a place count against the address', async () => {
    const clock = { now: 10_000 };
    const concert = queuedConcert();
    const d = deps(concertsOf(concert), clock);
    const all = { ...d.all, joinThrottle: throttleOf(2) };
    const [a, b, c] = [fan(), fan(), fan()];
    const first = await joinQueue(all, a, concert.id, { clientAddress: '198.51.100.7' });
    await joinQueue(all, b, concert.id, { clientAddress: '198.51.100.7' });
    // The budget is spent: a refresh, a second tab or a reconnect keep their place all the same.
    for (let i = 0; i < 3; i++) {
      expect(await joinQueue(all, a, concert.id, { clientAddress: '198.51.100.7' })).toEqual(first);
    }
    await expect(joinQueue(all, c, concert.id, { clientAddress: '198.51.100.7' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
  });

  it('after a store loss two replicas re-queue their followers in last-seen order, whichever goes first', async () => {
    const clock = { now: 50_000 };
    const concert = queuedConcert({}, { paused: true });
    const d = deps(concertsOf(concert), clock);
    const ids = Array.from({ length: 6 }, () => randomUUID());
    // Replica A follows the fans at positions 1, 3, 5; replica B those at 2, 4, 6.
    const replicas = ['a', 'b'].map(() => {
      const followers = new MemoryQueueFollowers();
      const feed = new QueuePositionFeed({
        followers,
        views: (concertId, userIds) => queueViews(d.all, concertId, userIds),
        rejoin: (concertId, userId, lastPosition) =>
          joinQueue(d.all, { userId, role: 'customer' }, concertId, { rejoin: { lastPosition } }),
        push: async () => 'sent',
        now: () => clock.now,
      });
      return { followers, feed };
    });
    for (const [index, userId] of ids.entries()) {
      const replica = replicas[index % 2] as (typeof replicas)[number];
      const follower = { connectionId: `c${index}`, userId, concertId: concert.id };
      await replica.followers.add(follower);
      replica.feed.answered(follower, await joinQueue(d.all, fan(userId), concert.id));
    }
    d.store.clear();
    clock.now += 2_000;
    // A newcomer after the loss (an HTTP join) queues behind every re-queued follower.
    const newcomer = randomUUID();
    await joinQueue(d.all, fan(newcomer), concert.id);
    await (replicas[1] as (typeof replicas)[number]).feed.refresh(); // B notices first
    await (replicas[0] as (typeof replicas)[number]).feed.refresh();
    const views = await queueViews(d.all, concert.id, [...ids, newcomer]);
    expect(views.map((view) => view?.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('join-queue repeated within the second on one connection is answered once, then on change or after the second', async () => {
    const clock = { now: 50_000 };
    const concert = queuedConcert({}, { paused: true });
    const d = deps(concertsOf(concert), clock);
    const followers = new MemoryQueueFollowers();
    const feed = new QueuePositionFeed({
      followers,
      views: (concertId, userIds) => queueViews(d.all, concertId, userIds),
      rejoin: (concertId, userId) => joinQueue(d.all, { userId, role: 'customer' }, concertId),
      push: async () => 'sent',
      now: () => clock.now,
    });
    const live = { deps: d.all, followers, feed };
    const [userId, other] = [randomUUID(), randomUUID()];
    await joinQueue(d.all, fan(other), concert.id);
    const answers = [];
    for (let i = 0; i < 100; i++)
      answers.push(await followQueue(live, 'conn', userId, concert.id, '192.0.2.1'));
    expect(answers.filter((answer) => answer !== null)).toEqual([
      { type: 'queue-position', concertId: concert.id, status: 'waiting', position: 2, ahead: 1 },
    ]);
    // A change is answered at once: the fan ahead is admitted, this one moves up.
    await d.store.markAdmitted(concert.id, [{ userId: other, admittedAtMs: clock.now }]);
    expect(await followQueue(live, 'conn', userId, concert.id, '192.0.2.1')).toMatchObject({ position: 1 });
    expect(await followQueue(live, 'conn', userId, concert.id, '192.0.2.1')).toBeNull();
    clock.now += QUEUE_UPDATE_MIN_INTERVAL_MS;
    expect(await followQueue(live, 'conn', userId, concert.id, '192.0.2.1')).toMatchObject({ position: 1 });
    // Another connection (a second tab) gets its own first answer.
    expect(await followQueue(live, 'tab-2', userId, concert.id, '192.0.2.1')).toMatchObject({ position: 1 });
  });
});

describe('the admission ticker lease', () => {
  it('two tickers on one store: only one admits at a time, and the other takes over when it stops', async () => {
    const clock = { now: 1_000_000 };
    const concert = queuedConcert({}, { admissionPerMinute: 600 });
    const d = deps(concertsOf(concert), clock);
    for (let i = 0; i < 200; i++) await d.store.join(concert.id, `fan-${i}`, { kind: 'arrival' });
    const one = new AdmissionTicker(d.all, { holder: 'one' });
    const two = new AdmissionTicker(d.all, { holder: 'two' });
    for (let second = 0; second < 5; second++) {
      clock.now += 1_000;
      const [a, b] = await Promise.all([one.tick(), two.tick()]);
      expect([a, b].filter((steps) => steps !== null)).toHaveLength(1);
    }
    expect(d.admissions.records.size).toBe(50); // 10 a second for 5 s, not 20
    await one.stop();
    clock.now += 1_000;
    expect(await two.tick()).not.toBeNull();
  });

  it('a ticker whose step outlived its lease admits no more than the rate once another took over (the pacing in the store guards it)', async () => {
    const clock = { now: 1_000_000 };
    const first = queuedConcert({}, { admissionPerMinute: 600 });
    const second = queuedConcert({}, { admissionPerMinute: 600 });
    const concerts = concertsOf(first, second);
    const d = deps(concerts, clock);
    for (let i = 0; i < 100; i++) await d.store.join(second.id, `fan-${i}`, { kind: 'arrival' });
    const two = new AdmissionTicker(d.all, { holder: 'two' });
    let stalled = false;
    // Ticker one stalls reading the second concert (a slow database) past its 5 s lease; meanwhile
    // ticker two takes the lease and admits that second's share.
    const slow = {
      ...d.all,
      concerts: {
        ...concerts,
        get: async (id: string) => {
          if (id === second.id && !stalled) {
            stalled = true;
            clock.now += 6_000;
            expect(await two.tick()).not.toBeNull();
          }
          return concerts.get(id);
        },
      },
    };
    const one = new AdmissionTicker(slow, { holder: 'one' });
    await one.tick();
    expect(stalled).toBe(true);
    // 600 a minute: at most 11 in any one second, however many tickers think they lead.
    expect(d.admissions.records.size).toBeLessThanOrEqual(11);
  });
});

describe('admission tokens', () => {
  const concert = queuedConcert();
  const concerts = concertsOf(concert);
  const tokens = new JoseAdmissionTokens(SECRET);
  const inAMinute = () => Date.now() + 60_000;

  it('admit exactly one fan for one concert, within the window', async () => {
    const a = fan();
    const token = await tokens.issue({ userId: a.userId, concertId: concert.id, expiresAtMs: inAMinute() });
    await expect(requireAdmission({ concerts, tokens }, a, concert.id, token)).resolves.toBeUndefined();
    const refusals = [
      () => requireAdmission({ concerts, tokens }, a, concert.id, undefined), // none
      () => requireAdmission({ concerts, tokens }, fan(), concert.id, token), // another fan's
      async () =>
        requireAdmission(
          { concerts, tokens },
          a,
          concert.id,
          await new JoseAdmissionTokens('another-secret-of-enough-length-98765').issue({
            userId: a.userId,
            concertId: concert.id,
            expiresAtMs: inAMinute(),
          }),
        ), // forged
      async () =>
        requireAdmission(
          { concerts, tokens },
          a,
          concert.id,
          await tokens.issue({ userId: a.userId, concertId: concert.id, expiresAtMs: Date.now() - 1_000 }),
        ), // expired
      async () =>
        requireAdmission(
          { concerts, tokens },
          a,
          concert.id,
          await tokens.issue({ userId: a.userId, concertId: randomUUID(), expiresAtMs: inAMinute() }),
        ), // another concert's
      async () =>
        requireAdmission({ concerts, tokens }, a, concert.id, await new JoseTokenService(SECRET).issue(a)), // a session token
    ];
    for (const refusal of refusals)
      await expect(refusal).rejects.toMatchObject({ code: 'ADMISSION_REQUIRED' });
  });

  it('an admission token is never a session token', async () => {
    const token = await tokens.issue({
      userId: randomUUID(),
      concertId: concert.id,
      expiresAtMs: inAMinute(),
    });
    expect(await new JoseTokenService(SECRET).read(token)).toBeNull();
  });

  it('a concert without a waiting room needs no admission', async () => {
    const open = queuedConcert({}, { enabled: false });
    await expect(
      requireAdmission({ concerts: concertsOf(open), tokens }, fan(), open.id, undefined),
    ).resolves.toBeUndefined();
  });
});

describe('moving onSaleAt later while a first join races the check (the draw covers everyone waiting at onSaleAt)', () => {
  /** The admin side over the same concerts map: an update applies `onSaleAt` only. */
  function adminOf(concerts: ReturnType<typeof concertsOf>) {
    const repository = {
      ...concerts,
      update: async (id: string, change: ConcertChange) => {
        const concert = concerts.byId.get(id);
        if (!concert) return { kind: 'not-found' as const };
        const next = { ...concert, version: concert.version + 1 };
        if (change.onSaleAt === null) delete next.onSaleAt;
        else if (change.onSaleAt !== undefined) next.onSaleAt = change.onSaleAt;
        concerts.byId.set(id, next);
        return { kind: 'updated' as const, concert: next };
      },
    } as unknown as ConcertRepository;
    const events = { concertChanged: () => {}, notifyAdmins: () => {} } as unknown as RealtimeEvents;
    return { concerts: repository, events };
  }

  it('a fan who joined between the empty-line check and the move is drawn, not queued behind later draws', async () => {
    const clock = { now: 21_000 }; // the sale opened at 20 000, nobody in line yet
    const concert = queuedConcert({ onSaleAt: new Date(20_000).toISOString() });
    const concerts = concertsOf(concert);
    const d = deps(concerts, clock, seededRandom(7));
    const early = randomUUID();
    // Forced interleaving: the guard's count answers "nobody waiting", then the fan joins (an arrival
    // under the old on-sale time), then the update commits.
    const counts = d.store.counts.bind(d.store);
    const store = Object.assign(Object.create(d.store) as MemoryWaitingRoomStore, {
      counts: async (concertId: string) => {
        const answer = await counts(concertId);
        await joinQueue(d.all, fan(early), concert.id);
        return answer;
      },
    });
    await updateQueuedConcert({ ...d.all, store, ...adminOf(concerts) }, concert.id, {
      onSaleAt: new Date(60_000).toISOString(),
      tierChanges: [],
      newTiers: [],
    });
    // Fans who join later, before the new on-sale time, are drawn; then the sale opens.
    const later = Array.from({ length: 30 }, () => randomUUID());
    for (const id of later) await joinQueue(d.all, fan(id), concert.id);
    const [place] = await d.store.places(concert.id, [early]);
    expect(place?.state === 'waiting' && place.score).toBeLessThan(1);
    clock.now = 61_000;
    const late = randomUUID();
    await joinQueue(d.all, fan(late), concert.id);
    const views = await queueViews(d.all, concert.id, [early, late]);
    expect(views[0]?.position).toBeLessThan(views[1]?.position ?? 0);
    expect(views[1]?.position).toBe(32);
  });

  it('the ticker puts into the draw, before the sale, an arrival scored by a stale read of the old time', async () => {
    const clock = { now: 21_000 };
    const concert = queuedConcert({ onSaleAt: new Date(60_000).toISOString() });
    const d = deps(concertsOf(concert), clock, seededRandom(11));
    const stale = randomUUID();
    // A replica whose cached concert still said 20 000 scored this join by arrival.
    await d.store.join(concert.id, stale, { kind: 'arrival' });
    const drawn = Array.from({ length: 20 }, () => randomUUID());
    for (const id of drawn) await joinQueue(d.all, fan(id), concert.id);
    expect(await admitStep(d.all, concert, clock.now)).toMatchObject({ admitted: 0, idle: 'before-sale' });
    const [place] = await d.store.places(concert.id, [stale]);
    expect(place?.state === 'waiting' && place.score).toBeLessThan(1);
    expect((await d.store.counts(concert.id)).waiting).toBe(21);
  });
});

describe('estimates that promise nothing are not shown', () => {
  it('a fan waiting while the concert is not on sale gets no estimated wait (nobody is admitted)', async () => {
    const clock = { now: 10_000 };
    const concert = queuedConcert();
    const concerts = concertsOf(concert);
    const d = deps(concerts, clock);
    const id = randomUUID();
    await joinQueue(d.all, fan(id), concert.id);
    await d.store.writePacing(concert.id, { atMs: 9_000, carry: 0, ratePerMinute: 600 });
    expect((await queueViews(d.all, concert.id, [id]))[0]?.estimatedWaitSeconds).toBeGreaterThan(0);
    concerts.byId.set(concert.id, { ...concert, status: 'paused' });
    expect(await admitStep(d.all, { ...concert, status: 'paused' }, clock.now)).toMatchObject({
      idle: 'not-on-sale',
    });
    const [view] = await queueViews(d.all, concert.id, [id]);
    expect(view).toMatchObject({ status: 'waiting', position: 1 });
    expect(view?.estimatedWaitSeconds).toBeUndefined();
    expect((await queueOverview(d.all, concert.id)).estimatedSellOutSeconds).toBeNull();
  });

  it('the organiser sees no sell-out time when the line cannot take what is left', async () => {
    const clock = { now: 10_000 };
    const concert = queuedConcert({ availableTickets: 1_000 });
    const d = deps(concertsOf(concert), clock);
    for (let index = 0; index < 3; index++) await joinQueue(d.all, fan(), concert.id);
    await d.store.writePacing(concert.id, { atMs: 9_000, carry: 0, ratePerMinute: 600 });
    d.admissions.sales.averageOrderSize = 2;
    // 3 fans × 2 tickets cannot sell 1,000: "sold out in 50 s" would be a promise the line cannot keep.
    expect((await queueOverview(d.all, concert.id)).estimatedSellOutSeconds).toBeNull();
    for (let index = 0; index < 600; index++) await joinQueue(d.all, fan(), concert.id);
    // 603 fans × 2 can: 1,000 tickets at 600 fans × 2 tickets a minute.
    expect((await queueOverview(d.all, concert.id)).estimatedSellOutSeconds).toBe(50);
  });
});

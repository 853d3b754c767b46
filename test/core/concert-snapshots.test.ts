import { describe, expect, it } from 'vitest';
import { ConcertSnapshots } from '../../functions/core/concert-snapshots';
import type { Concert } from '../../functions/core/model';
import { concertUpdate } from '../../functions/core/realtime';
import type { ConcertRepository } from '../../functions/ports/concert.repository.port';

const ID = '00000000-0000-4000-8000-000000000001';

function concert(version: number, available: number): Concert {
  return {
    id: ID,
    title: 'T',
    artist: 'A',
    venue: 'V',
    startsAt: '2030-01-01T00:00:00.000Z',
    status: 'on-sale',
    availableTickets: available,
    totalBooked: 10 - available,
    version,
    tiers: [
      { id: 't', name: 'GA', priceCents: 1, currency: 'EUR', capacity: 10, available, maxPerOrder: 10 },
    ],
  } as unknown as Concert;
}

/** A repository that counts its reads and answers with whatever `current` holds when the read ends. */
function countingRepository(initial: Concert | null) {
  const state = { current: initial, reads: 0, release: [] as Array<() => void> };
  const repository = {
    get: (id: string) => {
      state.reads++;
      return new Promise<Concert | null>((resolve) =>
        state.release.push(() => resolve(id === ID ? state.current : null)),
      );
    },
  } as unknown as ConcertRepository;
  const settle = () => {
    for (const release of state.release.splice(0)) release();
  };
  return { state, repository, settle };
}

describe('ConcertSnapshots', () => {
  it('serves many joins of one concert with one database read (single flight, then cached)', async () => {
    const { state, repository, settle } = countingRepository(concert(3, 7));
    let now = 0;
    const snapshots = new ConcertSnapshots(repository, { maxAgeMs: 1_000, maxEntries: 10, now: () => now });

    const joins = Array.from({ length: 1_000 }, () => snapshots.get(ID));
    settle();
    const answers = await Promise.all(joins);
    now = 999;
    await snapshots.get(ID);

    expect(state.reads).toBe(1);
    expect(answers.every((answer) => answer.version === 3 && answer.availableTickets === 7)).toBe(true);
  });

  it('reads again once the snapshot is older than maxAgeMs, and caches "not found" as well', async () => {
    const { state, repository, settle } = countingRepository(concert(3, 7));
    let now = 0;
    const snapshots = new ConcertSnapshots(repository, { maxAgeMs: 1_000, maxEntries: 10, now: () => now });
    const first = snapshots.get(ID);
    settle();
    await first;

    state.current = concert(5, 4);
    now = 1_000;
    const second = snapshots.get(ID);
    settle();
    expect(await second).toMatchObject({ version: 5, availableTickets: 4 });

    const missing = '00000000-0000-4000-8000-000000000002';
    const misses = [snapshots.get(missing), snapshots.get(missing)];
    settle();
    for (const miss of misses) await expect(miss).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(snapshots.get(missing)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(state.reads).toBe(3);
  });

  it('takes newer updates heard on the bus at once and ignores older ones', async () => {
    const { repository, settle } = countingRepository(concert(3, 7));
    const snapshots = new ConcertSnapshots(repository, { maxAgeMs: 60_000, maxEntries: 10 });
    const first = snapshots.get(ID);
    settle();
    await first;

    snapshots.offer(concertUpdate(concert(6, 2)));
    snapshots.offer(concertUpdate(concert(4, 5)));

    expect(await snapshots.get(ID)).toMatchObject({ version: 6, availableTickets: 2 });
  });

  it('keeps at most maxEntries concerts', async () => {
    const { state, repository, settle } = countingRepository(concert(1, 1));
    const snapshots = new ConcertSnapshots(repository, { maxAgeMs: 60_000, maxEntries: 2 });
    for (const id of [ID, 'b', 'c']) {
      const read = snapshots.get(id).catch(() => undefined);
      settle();
      await read;
    }
    const again = snapshots.get(ID);
    settle();
    await again;
    expect(state.reads).toBe(4); // the first concert was dropped to make room
  });
  it('heals a bogus version heard on the bus: the next database read wins over an update offered before it (attack F2)', async () => {
    const { repository, settle } = countingRepository(concert(3, 7));
    let now = 0;
    const snapshots = new ConcertSnapshots(repository, { maxAgeMs: 1_000, maxEntries: 10, now: () => now });
    const first = snapshots.get(ID);
    settle();
    await first;

    snapshots.offer({ ...concertUpdate(concert(3, 7)), version: 1e15, availableTickets: 0 });
    now = 1_000;
    const next = snapshots.get(ID);
    settle();

    expect((await next).version).toBe(3);
    expect((await next).availableTickets).toBe(7);
  });
  it('reads again after invalidate (a local commit), and does not keep a read that overlapped it', async () => {
    const { state, repository, settle } = countingRepository(concert(3, 7));
    const snapshots = new ConcertSnapshots(repository, { maxAgeMs: 60_000, maxEntries: 10, now: () => 0 });
    const first = snapshots.get(ID);
    snapshots.invalidate(ID); // a sale committed while the first read was on its way
    state.current = concert(4, 5);
    settle();
    await first;

    const second = snapshots.get(ID);
    settle();

    expect(state.reads).toBe(2);
    expect((await second).availableTickets).toBe(5);
  });
});

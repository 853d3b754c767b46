import { describe, expect, it } from 'vitest';
import { CachedConcertRepository } from '../../functions/adapters/memory/cached-concert-repository';
import type { Concert } from '../../functions/core/model';
import type {
  ConcertRepository,
  TimedConcert,
  TimedConcertReads,
} from '../../functions/ports/concert.repository.port';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

/** A database whose concert reads wait until `release()`; counts them per concert. */
function slowDatabase() {
  const reads = new Map<string, number>();
  const waiting: Array<() => void> = [];
  const getTimed = async (id: string): Promise<TimedConcert | null> => {
    reads.set(id, (reads.get(id) ?? 0) + 1);
    await new Promise<void>((resolve) => waiting.push(resolve));
    return { concert: { id, version: reads.get(id) } as unknown as Concert, nextExpiryAt: null };
  };
  const inner = { getTimed } as unknown as ConcertRepository & TimedConcertReads;
  const release = () => {
    for (const resolve of waiting.splice(0)) resolve();
  };
  return { inner, reads, release };
}

// Issue 19: one generation counter for every concert made a hold on any concert drop every concert load in
// flight; with 100 concerts on sale nearly every hold read its concert again (736 reads for 528 holds).
describe('the concert read cache drops a load only when that concert changed', () => {
  it('keeps a load of one concert when another concert changes while it runs', async () => {
    const { inner, reads, release } = slowDatabase();
    const cache = new CachedConcertRepository(inner);

    const loading = cache.get(A);
    cache.invalidate(B);
    release();
    await loading;
    const again = cache.get(A);
    release();
    await again;

    expect(reads.get(A)).toBe(1);
  });

  it('still drops a load of a concert that changed while it ran (the next read goes to the database)', async () => {
    const { inner, reads, release } = slowDatabase();
    const cache = new CachedConcertRepository(inner);

    const loading = cache.get(A);
    cache.invalidate(A);
    release();
    await loading;
    const next = cache.get(A);
    release();
    const reread = await next;

    expect(reads.get(A)).toBe(2);
    expect(reread?.version).toBe(2);
  });

  it('does not share a load that a change to its concert overtook', async () => {
    const { inner, reads, release } = slowDatabase();
    const cache = new CachedConcertRepository(inner);

    const first = cache.get(A);
    cache.invalidate(A);
    const second = cache.get(A);
    release();
    await Promise.all([first, second]);

    expect(reads.get(A)).toBe(2);
    expect((await second)?.version).toBe(2);
  });
});

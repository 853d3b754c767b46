import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CachedConcertRepository } from '../../functions/adapters/memory/cached-concert-repository';
import type { ConcertRepository, TimedConcertReads } from '../../functions/ports/concert.repository.port';

/**
 * Found by bench/waiting-room.ts: with the database pool exhausted, a concert read that failed left an
 * unhandled rejection behind (the cache's bookkeeping `finally`), and Node ended both shims. A failed
 * load must reject its callers and nothing else.
 */
describe('the concert read cache when the database fails a load', () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', record);
  });
  afterEach(() => {
    process.off('unhandledRejection', record);
  });

  it('rejects the readers of one concert and of the list, and leaves no unhandled rejection', async () => {
    const away = async () => {
      throw new Error('timeout exceeded when trying to connect');
    };
    const inner = { getTimed: away, listTimed: away, get: away, list: away } as unknown as ConcertRepository &
      TimedConcertReads;
    const cache = new CachedConcertRepository(inner);

    await expect(cache.get('00000000-0000-4000-8000-000000000000')).rejects.toThrow('timeout exceeded');
    await expect(cache.list()).rejects.toThrow('timeout exceeded');
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(unhandled).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { OrganiserSettingsCache } from '../../functions/adapters/memory/organiser-settings-cache';
import type { Concert } from '../../functions/core/model';

// Issue 19: the waiting room's reservation gate read its concert on every hold (the read cache drops a
// concert whenever a hold commits), so 100 concerts on sale made about one concert read per hold. The
// gate's reads are kept through holds, forgotten on an organiser's change, and never older than 2 s.

function counting(concerts: Record<string, Partial<Concert>>) {
  const reads: string[] = [];
  let release: (() => void) | undefined;
  const inner = {
    hold: false,
    get: async (id: string) => {
      reads.push(id);
      if (inner.hold) await new Promise<void>((resolve) => (release = resolve));
      return (concerts[id] as Concert | undefined) ?? null;
    },
  };
  return { inner, reads, release: () => release?.() };
}

describe('OrganiserSettingsCache', () => {
  it('answers many asks of many concerts with one read each, until 2 s after the read', async () => {
    let now = 1_000;
    const { inner, reads } = counting({ a: { id: 'a' }, b: { id: 'b' } });
    const cache = new OrganiserSettingsCache(inner, 2_000, () => now);
    for (let round = 0; round < 50; round++) {
      await Promise.all([cache.get('a'), cache.get('b'), cache.get('a'), cache.get('nope')]);
    }
    expect(reads.sort()).toEqual(['a', 'b', 'nope']);
    now += 1_999;
    await cache.get('a');
    expect(reads).toHaveLength(3);
    now += 1;
    await cache.get('a');
    expect(reads).toHaveLength(4);
  });

  it("reads again at once after this instance's organiser change, and keeps no load the change overtook", async () => {
    const concerts: Record<string, Partial<Concert>> = { a: { id: 'a', title: 'before' } };
    const { inner, reads, release } = counting(concerts);
    const cache = new OrganiserSettingsCache(inner);
    expect((await cache.get('a'))?.title).toBe('before');
    inner.hold = true;
    cache.invalidate('a');
    const overtaken = cache.get('a');
    await Promise.resolve();
    concerts.a = { id: 'a', title: 'after' };
    cache.invalidate('a'); // the change committed while that read was in flight
    inner.hold = false;
    release();
    await overtaken;
    expect((await cache.get('a'))?.title).toBe('after');
    expect(reads).toHaveLength(3);
  });

  it('keeps no failed read and no more than its bound of entries', async () => {
    let fail = true;
    const reads: string[] = [];
    const cache = new OrganiserSettingsCache(
      {
        get: async (id: string) => {
          reads.push(id);
          if (fail) throw new Error('pool timeout');
          return { id } as Concert;
        },
      },
      2_000,
      Date.now,
      100,
    );
    await expect(cache.get('a')).rejects.toThrow('pool timeout');
    fail = false;
    expect(await cache.get('a')).toEqual({ id: 'a' });
    for (let i = 0; i < 1_000; i++) await cache.get(`made-up-${i}`);
    expect((cache as unknown as { byId: Map<string, unknown> }).byId.size).toBeLessThanOrEqual(100);
  });
});

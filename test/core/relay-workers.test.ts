import { describe, expect, it } from 'vitest';
import { MemoryConnectionRegistry } from '../../functions/adapters/memory/memory-connection-registry';
import { relayAvailability } from '../../functions/core/relay-availability';
import type { ConnectionPusher } from '../../functions/ports/connection-pusher.port';
import { streamOf } from '../support/relay-stream';

// Issue 19: the relay posted in fixed slices (wait for the slowest post of each slice before starting the
// next), so one slow connection held up every slice it was in, and fan-out ran at concurrency ÷ slowest.
// Now each worker takes the next post as soon as its own is answered.

describe('relay fan-out workers', () => {
  it('posts to every other connection while one connection is slow', async () => {
    const registry = new MemoryConnectionRegistry();
    const ids = ['slow', ...Array.from({ length: 200 }, (_, i) => `fast-${i}`)];
    for (const id of ids) {
      await registry.register(id, { userId: null, admin: false });
      await registry.watch(id, 'c1');
    }
    const finishedAt = new Map<string, number>();
    const started = Date.now();
    const pusher: ConnectionPusher = {
      post: async (connectionId) => {
        await new Promise((resolve) => setTimeout(resolve, connectionId === 'slow' ? 600 : 5));
        finishedAt.set(connectionId, Date.now() - started);
        return 'sent';
      },
    };
    const report = await relayAvailability(
      {
        stream: streamOf([
          {
            id: '1-0',
            message: {
              type: 'concert-update',
              concertId: 'c1',
              availableTickets: 1,
              totalBooked: 0,
              tiers: [],
              status: 'on-sale',
              version: 2,
            },
          },
        ]),
        registry,
        pusher,
      },
      { runForMs: 50, blockMs: 10, concurrency: 10 },
    );
    expect(report.delivered).toBe(ids.length);
    // 200 fast posts on the 9 other workers take ~120 ms; behind slices they would wait for the slow one.
    const fastDone = Math.max(
      ...ids.filter((id) => id !== 'slow').map((id) => finishedAt.get(id) ?? Infinity),
    );
    expect(fastDone).toBeLessThan(finishedAt.get('slow') ?? 0);
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryConnectionRegistry } from '../../functions/adapters/memory/memory-connection-registry';
import type { ConcertUpdateMessage } from '../../functions/core/realtime';
import { postShard, relayAvailability, splitByConnection } from '../../functions/core/relay-availability';
import { type ConnectionPusher, PushFailure } from '../../functions/ports/connection-pusher.port';
import type { RelayShard, RelayShardRunner } from '../../functions/ports/relay-shards.port';
import { streamOf } from '../support/relay-stream';

// Issue 19: one relay event loop caps fan-out at its SDK's per-post CPU; each delivery is now split by
// connection into shards that relay workers (threads, parallel Lambdas) post, each with the per-message
// isolation of issue 11.

const update = (concertId: string, version: number): ConcertUpdateMessage => ({
  type: 'concert-update',
  concertId,
  availableTickets: 10,
  totalBooked: version,
  tiers: [],
  status: 'on-sale',
  version,
});

/** A pusher that records every post; `gone` ids answer 410, `failing` ids 500. */
function recordingPusher(gone = new Set<string>(), failing = new Set<string>()) {
  const posts: Array<{ connectionId: string; data: string }> = [];
  const pusher: ConnectionPusher = {
    post: async (connectionId, data) => {
      await new Promise((resolve) => setImmediate(resolve));
      posts.push({ connectionId, data });
      if (failing.has(connectionId)) throw new PushFailure('unavailable', 'HTTP 500');
      return gone.has(connectionId) ? 'gone' : 'sent';
    },
  };
  return { pusher, posts };
}

/** Shards run in this process (as a worker would), each with its own pusher; `broken` shards reject. */
function inProcessRunner(shards: number, pusher: ConnectionPusher, broken = new Set<number>()) {
  let call = 0;
  const ran: RelayShard[] = [];
  const runner: RelayShardRunner = {
    shards,
    run: async (shard) => {
      const index = call++;
      if (broken.has(index)) throw new Error(`worker ${index} died`);
      ran.push(shard);
      return postShard(pusher, shard);
    },
  };
  return { runner, ran };
}

async function registryWatching(concertId: string, ids: string[]) {
  const registry = new MemoryConnectionRegistry();
  for (const id of ids) {
    await registry.register(id, { userId: null, admin: id.startsWith('admin') });
    await registry.watch(id, concertId);
  }
  return registry;
}

describe('relay shards', () => {
  it('puts every post in exactly one shard, all of one connection in the same one, in order', () => {
    const posts: Array<[number, string]> = [];
    for (let frame = 0; frame < 3; frame++) for (let i = 0; i < 1_000; i++) posts.push([frame, `conn-${i}`]);
    const shards = splitByConnection(posts, 4);
    expect(shards).toHaveLength(4);
    expect(shards.flat().sort()).toEqual([...posts].sort());
    const shardOf = new Map<string, number>();
    shards.forEach((shard, index) => {
      for (const [, id] of shard) {
        expect(shardOf.get(id) ?? index).toBe(index);
        shardOf.set(id, index);
      }
      // A connection's frames keep the leader's order.
      const frames = new Map<string, number[]>();
      for (const [frame, id] of shard) frames.set(id, [...(frames.get(id) ?? []), frame]);
      for (const list of frames.values()) expect(list).toEqual([0, 1, 2]);
    });
    // Spread, not all in one: each shard has a fair part of 1,000 connections.
    for (const shard of shards) expect(shard.length / 3).toBeGreaterThan(150);
  });

  it('reaches every watcher exactly once through the shards, and none from the leader', async () => {
    const ids = Array.from({ length: 400 }, (_, i) => `conn-${i}`);
    const registry = await registryWatching('c1', ids);
    const workers = recordingPusher();
    const leader = recordingPusher();
    const { runner, ran } = inProcessRunner(4, workers.pusher);
    const report = await relayAvailability(
      {
        stream: streamOf([{ id: '1-0', message: update('c1', 3) }]),
        registry,
        pusher: leader.pusher,
        shards: runner,
      },
      { runForMs: 30, blockMs: 10 },
    );
    expect(ran).toHaveLength(4);
    expect(workers.posts.map((p) => p.connectionId).sort()).toEqual([...ids].sort());
    expect(leader.posts).toHaveLength(0);
    expect(report.delivered).toBe(400);
    expect(JSON.parse(workers.posts[0]?.data ?? '{}')).toMatchObject({ concertId: 'c1', version: 3 });
  });

  it('a shard whose worker fails is posted by the leader: the other shards keep their posts, none is lost', async () => {
    const ids = Array.from({ length: 400 }, (_, i) => `conn-${i}`);
    const registry = await registryWatching('c1', ids);
    const workers = recordingPusher();
    const leader = recordingPusher();
    const { runner, ran } = inProcessRunner(4, workers.pusher, new Set([1]));
    const report = await relayAvailability(
      {
        stream: streamOf([{ id: '1-0', message: update('c1', 3) }]),
        registry,
        pusher: leader.pusher,
        shards: runner,
      },
      { runForMs: 30, blockMs: 10 },
    );
    expect(ran).toHaveLength(3);
    const byWorkers = workers.posts.map((p) => p.connectionId);
    const byLeader = leader.posts.map((p) => p.connectionId);
    expect(byLeader.length).toBeGreaterThan(0);
    expect([...byWorkers, ...byLeader].sort()).toEqual([...ids].sort());
    expect(report.delivered).toBe(400);
    expect(report.position).toBe('1-0');
  });

  it('removes gone connections and reports failed posts found by any shard', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `conn-${i}`);
    const registry = await registryWatching('c1', ids);
    await registry.register('admin-1', { userId: null, admin: true });
    await registry.joinAdmins('admin-1');
    const gone = new Set(['conn-3', 'conn-77', 'conn-150']);
    const failing = new Set(['conn-9']);
    const workers = recordingPusher(gone, failing);
    const skips: Array<{ reason: string; recipients: number }> = [];
    const { runner } = inProcessRunner(3, workers.pusher);
    const report = await relayAvailability(
      {
        stream: streamOf([
          { id: '1-0', message: update('c1', 3) },
          {
            id: '1-1',
            message: {
              type: 'admin-notification',
              event: 'sold-out',
              concertId: 'c1',
              at: new Date().toISOString(),
            },
          },
        ]),
        registry,
        pusher: recordingPusher().pusher,
        shards: runner,
        onSkip: ({ reason, recipients }) => skips.push({ reason, recipients }),
      },
      { runForMs: 30, blockMs: 10, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } },
    );
    expect(report.gone).toBe(3);
    for (const id of gone) expect(await registry.watchers('c1')).not.toContain(id);
    expect(await registry.watchers('c1')).toContain('conn-9');
    expect(skips).toEqual([{ reason: 'unavailable', recipients: 1 }]);
    // 200 watchers less 3 gone and 1 failing, and the admin's notice.
    expect(report.delivered).toBe(200 - 3 - 1 + 1);
  });
});

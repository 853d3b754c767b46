import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConnectionRegistry } from '../../functions/adapters/memory/memory-connection-registry';
import { WorkerThreadShardRunner } from '../../functions/adapters/node/worker-thread-shards';
import { relayAvailability } from '../../functions/core/relay-availability';
import {
  type ManagementEndpointStandIn,
  startManagementEndpointStandIn,
} from '../support/management-endpoint-stand-in';
import { streamOf } from '../support/relay-stream';

// Issue 19: the relay's worker threads post their shards through the real SDK client to the management
// endpoint stand-in: every watcher gets the update once, a 410 still drops the connection.

describe('relay worker threads with the real SDK client', () => {
  let standIn: ManagementEndpointStandIn;
  let runner: WorkerThreadShardRunner;
  const dir = mkdtempSync(join(tmpdir(), 'relay-worker-'));
  beforeAll(async () => {
    standIn = await startManagementEndpointStandIn();
    // A thread cannot load TypeScript under vitest: the worker module is bundled, as it would be deployed.
    const outfile = join(dir, 'relay-shard-worker.cjs');
    await build({
      entryPoints: ['functions/adapters/node/relay-shard-worker.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
    });
    runner = new WorkerThreadShardRunner({
      workers: 2,
      workerUrl: pathToFileURL(outfile),
      pusher: {
        endpoint: standIn.url,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      },
    });
  });
  afterAll(async () => {
    await runner?.close();
    await standIn?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts every watcher once from the threads and drops the gone ones', async () => {
    const registry = new MemoryConnectionRegistry();
    const ids = Array.from({ length: 300 }, (_, i) => `conn-${i}`);
    for (const id of ids) {
      await registry.register(id, { userId: null, admin: false });
      await registry.watch(id, 'c1');
    }
    standIn.always('conn-42', 410);
    const leaderPosts: string[] = [];
    const report = await relayAvailability(
      {
        stream: streamOf([
          {
            id: '1-0',
            message: {
              type: 'concert-update',
              concertId: 'c1',
              availableTickets: 5,
              totalBooked: 1,
              tiers: [],
              status: 'on-sale',
              version: 7,
            },
          },
        ]),
        registry,
        pusher: {
          post: async (connectionId) => {
            leaderPosts.push(connectionId);
            return 'sent';
          },
        },
        shards: runner,
      },
      { runForMs: 50, blockMs: 10 },
    );
    expect(leaderPosts).toEqual([]); // both shards ran in their threads
    const received = standIn.posts.map((post) => post.connectionId).sort();
    expect(received).toEqual([...ids].sort());
    expect(standIn.delivered('conn-1')).toEqual([expect.objectContaining({ concertId: 'c1', version: 7 })]);
    expect(report.delivered).toBe(299);
    expect(report.gone).toBe(1);
    expect(await registry.watchers('c1')).not.toContain('conn-42');
  });
});

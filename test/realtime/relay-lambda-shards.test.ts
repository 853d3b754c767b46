import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayPusher } from '../../functions/adapters/aws/apigw-management-pusher';
import { LambdaInvokeShardRunner, splitByPayload } from '../../functions/adapters/aws/lambda-invoke-shards';
import { MemoryConnectionRegistry } from '../../functions/adapters/memory/memory-connection-registry';
import { relayAvailability } from '../../functions/core/relay-availability';
import { runRelayShard } from '../../functions/handlers/relay-shard';
import type { StreamEntry } from '../../functions/ports/relay-stream.port';
import { type LambdaInvokeStandIn, startLambdaInvokeStandIn } from '../support/lambda-invoke-stand-in';
import {
  type ManagementEndpointStandIn,
  startManagementEndpointStandIn,
} from '../support/management-endpoint-stand-in';
import { streamOf } from '../support/relay-stream';

// Issue 19: on AWS the relay leader posts each shard of a delivery through a synchronous invocation of the
// relay-shard Lambda. The real Lambda SDK client talks to an Invoke stand-in that runs the relay-shard
// handler in this process, whose pusher (the real API Gateway client) posts to the management stand-in.

const local = { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const UPDATE: StreamEntry = {
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
};

async function watchers(count: number): Promise<{ registry: MemoryConnectionRegistry; ids: string[] }> {
  const registry = new MemoryConnectionRegistry();
  const ids = Array.from({ length: count }, (_, i) => `conn-${i}`);
  for (const id of ids) {
    await registry.register(id, { userId: null, admin: false });
    await registry.watch(id, 'c1');
  }
  return { registry, ids };
}

describe('relay shards as relay-shard Lambda invocations (real SDK clients, stand-ins)', () => {
  let management: ManagementEndpointStandIn;
  let lambda: LambdaInvokeStandIn;
  let shardPusher: ApiGatewayPusher;
  const runners: LambdaInvokeShardRunner[] = [];
  let answered = 0;
  let slowMs = 0;
  beforeAll(async () => {
    management = await startManagementEndpointStandIn();
    shardPusher = new ApiGatewayPusher({ endpoint: management.url, ...local });
    lambda = await startLambdaInvokeStandIn(async (event) => {
      const result = await runRelayShard(event, shardPusher);
      if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
      answered++;
      return result;
    });
  });
  afterEach(() => {
    management.posts.length = 0;
    lambda.invocations.length = 0;
    answered = 0;
    slowMs = 0;
  });
  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.close()));
    await lambda?.close();
    await management?.close();
  });
  const runner = (shards: number, maxPayloadBytes?: number) => {
    const made = new LambdaInvokeShardRunner({
      functionName: 'cts-test-relay-shard',
      shards,
      endpoint: lambda.url,
      ...local,
      ...(maxPayloadBytes ? { maxPayloadBytes } : {}),
    });
    runners.push(made);
    return made;
  };
  const relay = async (
    registry: MemoryConnectionRegistry,
    shards: LambdaInvokeShardRunner,
    onCommit: (position: string) => void = () => undefined,
  ) => {
    const leaderPosts: string[] = [];
    const report = await relayAvailability(
      {
        stream: streamOf([UPDATE], onCommit),
        registry,
        pusher: {
          post: async (connectionId) => {
            leaderPosts.push(connectionId);
            return 'sent';
          },
        },
        shards,
      },
      { runForMs: 50, blockMs: 10 },
    );
    return { report, leaderPosts };
  };

  it('posts every connection exactly once across the shards and removes the gone ones', async () => {
    const { registry, ids } = await watchers(300);
    management.always('conn-42', 410);
    try {
      const { report, leaderPosts } = await relay(registry, runner(3));
      expect(leaderPosts).toEqual([]);
      expect(lambda.invocations).toHaveLength(3);
      for (const invocation of lambda.invocations)
        expect(invocation).toMatchObject({
          functionName: 'cts-test-relay-shard',
          invocationType: 'RequestResponse',
          answer: 'ok',
        });
      expect(management.posts.map((post) => post.connectionId).sort()).toEqual([...ids].sort());
      expect(management.delivered('conn-1')).toEqual([
        expect.objectContaining({ concertId: 'c1', version: 7 }),
      ]);
      expect(report.delivered).toBe(299);
      expect(report.gone).toBe(1);
      expect(await registry.watchers('c1')).not.toContain('conn-42');
    } finally {
      management.heal('conn-42');
    }
  });

  it('has the leader post a throttled shard and a failed shard itself, losing and repeating no one', async () => {
    const { registry, ids } = await watchers(300);
    lambda.throttle(1);
    lambda.failNext(1);
    const { report, leaderPosts } = await relay(registry, runner(3));
    expect(lambda.invocations.map((i) => i.answer).sort()).toEqual(['function-error', 'ok', 'throttled']);
    expect(leaderPosts.length).toBeGreaterThan(0);
    const everyone = [...management.posts.map((post) => post.connectionId), ...leaderPosts].sort();
    expect(everyone).toEqual([...ids].sort());
    expect(report.delivered).toBe(300);
  });

  it('has the leader post a shard whose event the handler refuses (malformed)', async () => {
    const { registry, ids } = await watchers(20);
    const broken = new LambdaInvokeShardRunner({
      functionName: 'cts-test-relay-shard',
      shards: 2,
      endpoint: lambda.url,
      ...local,
    });
    runners.push(broken);
    // Every shard goes out with a concurrency of 0, which the handler's schema refuses: it throws.
    const run = broken.run.bind(broken);
    broken.run = (shard) => run({ ...shard, limits: { ...shard.limits, concurrency: 0 } });
    const { leaderPosts } = await relay(registry, broken);
    expect(lambda.invocations.map((i) => i.answer)).toEqual(['function-error', 'function-error']);
    expect(management.posts).toEqual([]);
    expect(leaderPosts.sort()).toEqual([...ids].sort());
  });

  it('stores the stream position only after every shard answered', async () => {
    const { registry } = await watchers(60);
    slowMs = 150;
    const seenAtCommit: number[] = [];
    await relay(registry, runner(3), () => seenAtCommit.push(answered));
    expect(seenAtCommit).toEqual([3]);
  });

  it('splits a shard whose payload is over the limit into several invocations, each post once', async () => {
    const { registry, ids } = await watchers(300);
    const { leaderPosts } = await relay(registry, runner(2, 2_048));
    expect(lambda.invocations.length).toBeGreaterThan(2);
    for (const invocation of lambda.invocations) expect(invocation.answer).toBe('ok');
    expect(leaderPosts).toEqual([]);
    expect(management.posts.map((post) => post.connectionId).sort()).toEqual([...ids].sort());
  });
});

describe('splitByPayload', () => {
  it('keeps every post once, in order, each piece with only its frames', () => {
    const frames = ['a'.repeat(1000), 'b'.repeat(1000), 'c'];
    const posts: Array<[number, string]> = Array.from({ length: 50 }, (_, i) => [i % 3, `conn-${i}`]);
    const limits = { concurrency: 4, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, postUntil: 0 };
    const pieces = splitByPayload({ frames, posts, limits }, 3_000);
    expect(pieces.length).toBeGreaterThan(1);
    const back = pieces.flatMap((piece) => piece.posts.map(([frame, id]) => [piece.frames[frame], id]));
    expect(back).toEqual(posts.map(([frame, id]) => [frames[frame], id]));
    for (const piece of pieces)
      expect(JSON.stringify({ relayShard: piece }).length).toBeLessThanOrEqual(3_000);
  });
});

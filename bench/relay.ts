/**
 * AWS relay row of `npm run bench` (issue 19): the relay Lambda's handler, in this process, posts one
 * concert's updates to N registered connections through the management endpoint stand-in
 * (test/support/management-endpoint-stand-in.ts, in a process of its own: bench/stand-in-process.ts),
 * which answers every PostToConnection after 20 ms, as API Gateway's round trip would. Updates are published once a second for a while; for each (update,
 * connection) pair the figure is the time from publishing to the first accepted post of that version or a
 * newer one (the relay sends each concert's newest update, so a newer one stands for an older). A pair
 * never reached counts as lost. Baseline: the same with 100 connections; then the full count from the
 * relay's own event loop, from one worker thread per core (RELAY_WORKER_THREADS), and as 8 relay-shard
 * Lambda invocations per delivery through an Invoke stand-in process (bench/lambda-shards-process.ts,
 * RELAY_SHARDS; one process for every invocation, so it shows the protocol's cost, not AWS's parallel
 * CPUs; its CPU counts as the relay's), in the same run.
 * Each run also prints the CPU per accepted post of the relay process (its threads included) and of the
 * stand-in (process.cpuUsage on both sides), so a miss on a shared machine says where the time went.
 * Figures only.
 */

import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { ConcertUpdateMessage } from '../functions/core/realtime';
import { handler as relay } from '../functions/handlers/relay';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../test/support/redis';
import { startTestService } from '../test/support/test-service';
import { Histogram, int, type Row } from './support';

/** PostToConnection's stand-in round trip (ms). */
const POST_MS = 20;
const PERIOD_MS = 1_000;

export interface RelayFigures {
  connections: number;
  updates: number;
  /** Publish → accepted post, per (update, connection), ms. */
  p50: number;
  p99: number;
  /** The slowest update to reach every connection, ms. */
  slowestAllMs: number;
  lost: number;
  postsPerSecond: number;
  /** Relay worker threads (0: the relay's own event loop posts). */
  workers: number;
  /** CPU per accepted post (µs, user + system) of the relay process (its threads included) and of the stand-in. */
  relayMicrosPerPost: number;
  standInMicrosPerPost: number;
  /** CPU of each over the relay's run, in cores (1 = one core busy the whole time). */
  relayCores: number;
  standInCores: number;
}

async function relayRun(
  connections: number,
  updates: number,
  workers = 0,
  lambdaShards = 0,
): Promise<RelayFigures> {
  const prefix = testRedisPrefix();
  // The stand-in runs in a process of its own, as API Gateway is another machine.
  const child = fork('bench/stand-in-process.ts', [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, STAND_IN_DELAY_MS: String(POST_MS) },
  });
  const standInUrl = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the stand-in exited (${code})`)));
  });
  // Relay shards as Lambda invocations: the Invoke stand-in runs the relay-shard handler in its own process.
  const shardChild =
    lambdaShards > 1
      ? fork('bench/lambda-shards-process.ts', [], {
          execArgv: ['--import', 'tsx'],
          env: { ...process.env, MANAGEMENT_URL: standInUrl },
        })
      : undefined;
  const shardUrl = shardChild
    ? await new Promise<string>((resolve, reject) => {
        shardChild.once('message', (message) => resolve((message as { url: string }).url));
        shardChild.once('exit', (code) => reject(new Error(`the Invoke stand-in exited (${code})`)));
      })
    : undefined;
  const shardCpu = () =>
    shardChild
      ? new Promise<number>((resolve) => {
          shardChild.once('message', (message) => resolve((message as { cpuMicros: number }).cpuMicros));
          shardChild.send('cpu');
        })
      : Promise.resolve(0);
  const t = await startTestService({
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    REALTIME_COALESCE_MS: '0',
    WEBSOCKET_CALLBACK_URL: standInUrl,
    RELAY_WORKER_THREADS: String(workers),
    ...(shardUrl
      ? {
          RELAY_SHARDS: String(lambdaShards),
          RELAY_SHARD_FUNCTION: 'relay-shard',
          RELAY_SHARD_ENDPOINT: shardUrl,
        }
      : {}),
  });
  const standInCpu = () =>
    new Promise<number>((resolve) => {
      child.once('message', (message) => resolve((message as { cpuMicros: number }).cpuMicros));
      child.send('cpu');
    });
  try {
    await t.service.fanout.stop(); // only the relay delivers
    const { registry, bus } = t.service.services.realtime;
    const concertId = 'concert-on-sale';
    const ids = Array.from({ length: connections }, (_, i) => `conn-${i}`);
    for (let i = 0; i < ids.length; i += 500) {
      await Promise.all(
        ids.slice(i, i + 500).map(async (id) => {
          await registry.register(id, { userId: null, admin: false });
          await registry.watch(id, concertId);
        }),
      );
    }
    await relay({ runForMs: 200 }, {} as never); // start from "now"
    const publishedAt: number[] = [];
    const cpuBefore = process.cpuUsage();
    const standInBefore = await standInCpu();
    const shardBefore = await shardCpu();
    const runStarted = Date.now();
    const producing = (async () => {
      for (let v = 1; v <= updates + 1; v++) {
        const update: ConcertUpdateMessage = {
          type: 'concert-update',
          concertId,
          availableTickets: 100_000 - v,
          totalBooked: v,
          tiers: [],
          status: 'on-sale',
          version: v,
        };
        publishedAt[v] = Date.now();
        await bus.publish(update, { requestIds: [`sale-${v}`], publishedAt: publishedAt[v] ?? 0 });
        await new Promise((resolve) => setTimeout(resolve, PERIOD_MS));
      }
    })();
    await relay({ runForMs: (updates + 1) * PERIOD_MS + 20_000, leaseMs: 30_000 }, {} as never);
    await producing;
    const leaderCpu = process.cpuUsage(cpuBefore);
    // The shard "Lambdas" are the relay's too: their CPU counts with the leader's.
    const shardMicros = (await shardCpu()) - shardBefore;
    const relayCpu = { user: leaderCpu.user + shardMicros, system: leaderCpu.system };
    const standInMicros = (await standInCpu()) - standInBefore;
    const runMicros = (Date.now() - runStarted) * 1000;

    const rows = await new Promise<Array<[string, number, number, number]>>((resolve) => {
      child.once('message', (message) =>
        resolve((message as { rows: Array<[string, number, number, number]> }).rows),
      );
      child.send('collect');
    });
    // Per connection, the accepted posts in arrival order: version and when it was accepted.
    const reached = new Map<string, Array<{ version: number; at: number }>>();
    for (const [connectionId, version, receivedAt, status] of rows) {
      if (status !== 200) continue;
      const list = reached.get(connectionId) ?? [];
      reached.set(connectionId, list);
      list.push({ version, at: receivedAt + POST_MS });
    }
    const accepted = rows.filter((row) => row[3] === 200).length;
    const histogram = new Histogram();
    let lost = 0;
    const allReached = new Array<number>(updates + 2).fill(0);
    for (const id of ids) {
      const list = reached.get(id) ?? [];
      // Version 1 warms the relay up (its connections to the endpoint, the SDK): not counted.
      for (let v = 2; v <= updates + 1; v++) {
        const first = list.find((post) => post.version >= v);
        if (!first) {
          lost++;
          continue;
        }
        const latency = first.at - (publishedAt[v] ?? 0);
        histogram.add(latency);
        allReached[v] = Math.max(allReached[v] ?? 0, latency);
      }
    }
    return {
      connections,
      updates,
      p50: histogram.percentile(50),
      p99: histogram.percentile(99),
      slowestAllMs: Math.max(...allReached),
      lost,
      // While posting: accepted posts over the time from the first to the last one received.
      postsPerSecond: busyRate(rows.map((row) => row[2])),
      workers,
      relayMicrosPerPost: Math.round((relayCpu.user + relayCpu.system) / Math.max(1, accepted)),
      standInMicrosPerPost: Math.round(standInMicros / Math.max(1, accepted)),
      relayCores: (relayCpu.user + relayCpu.system) / runMicros,
      standInCores: standInMicros / runMicros,
    };
  } finally {
    await t.close();
    child.kill();
    shardChild?.kill();
    await dropRedisPrefix(prefix);
  }
}

/** Posts per second over the busy stretches: 1-second buckets that received any post. */
function busyRate(times: number[]): number {
  const buckets = new Map<number, number>();
  for (const at of times) buckets.set(Math.floor(at / 1000), (buckets.get(Math.floor(at / 1000)) ?? 0) + 1);
  return buckets.size === 0 ? 0 : times.length / buckets.size;
}

/** Relay worker threads of the sharded run: one per core of this machine (the stand-in shares them). */
const WORKERS = Math.max(2, availableParallelism());

/** Shards of the Lambda run (RELAY_SHARDS), as prod deploys. */
const LAMBDA_SHARDS = 8;

const describeRun = (f: RelayFigures) =>
  `p50 ${f.p50} ms, p99 ${f.p99} ms, slowest update to all ${f.slowestAllMs} ms; ${int(f.postsPerSecond)} posts/s; ${f.lost} (update, connection) pairs lost; CPU per post: relay ${f.relayMicrosPerPost} µs, stand-in ${f.standInMicrosPerPost} µs; cores busy: relay ${f.relayCores.toFixed(2)}, stand-in ${f.standInCores.toFixed(2)}`;

/**
 * The row: the baseline (100 connections, the relay's own event loop), then `connections` from the
 * relay's own event loop and from {@link WORKERS} worker threads (RELAY_WORKER_THREADS), all in this run.
 * The row's value is the sharded run; the single-loop run is printed beside it, with the CPU per post
 * of the relay and of the stand-in (both on this machine's cores) that says where the time goes.
 */
export async function relayRow(connections: number, updates: number): Promise<Row> {
  const baseline = await relayRun(100, Math.min(updates, 3));
  console.log(`  relay, 100 connections: ${describeRun(baseline)}`);
  const single = await relayRun(connections, updates, 0);
  console.log(`  relay, ${int(connections)} connections, one event loop: ${describeRun(single)}`);
  const figures = await relayRun(connections, updates, WORKERS);
  console.log(`  relay, ${int(connections)} connections, ${WORKERS} worker threads: ${describeRun(figures)}`);
  const lambdas = await relayRun(connections, updates, 0, LAMBDA_SHARDS);
  console.log(
    `  relay, ${int(connections)} connections, Lambda shards (${LAMBDA_SHARDS} invocations per delivery, Invoke stand-in, all in one process on these cores: cannot show the AWS speed-up, see docs/speed.md): ${describeRun(lambdas)}`,
  );
  // At 20 ms a post, one worker's 200 sockets carry ≤ 10,000 posts/s; its CPU per post caps it lower.
  const perWorker = Math.min(10_000, Math.round(1e6 / Math.max(1, figures.relayMicrosPerPost)));
  console.log(
    `  one relay worker on its own core: ≈ ${int(perWorker)} posts/s (1 s ÷ ${figures.relayMicrosPerPost} µs); 10,000 connections within 1 s need ${Math.ceil(10_000 / perWorker)} such shards (parallel Lambdas or cores)`,
  );
  return {
    figure: `AWS relay: one concert, ${int(connections)} connections, stand-in answering in ${POST_MS} ms, ${WORKERS} relay worker threads`,
    baseline: `100 connections: p99 ${baseline.p99} ms; ${int(connections)} from one event loop: p99 ${single.p99} ms, ${int(single.postsPerSecond)} posts/s`,
    value: describeRun(figures),
    ratio: (figures.p99 / baseline.p99).toFixed(1),
    target: 'every update reaches all 10,000 within 1.5 s (p99), none lost',
    met: connections >= 10_000 && figures.p99 <= 1_500 && figures.lost === 0,
  };
}

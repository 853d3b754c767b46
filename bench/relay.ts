/**
 * AWS relay row of `npm run bench` (issue 19): the relay Lambda's handler, in this process, posts one
 * concert's updates to N registered connections through the management endpoint stand-in
 * (test/support/management-endpoint-stand-in.ts, in a process of its own: bench/stand-in-process.ts),
 * which answers every PostToConnection after 20 ms, as API Gateway's round trip would. Updates are published once a second for a while; for each (update,
 * connection) pair the figure is the time from publishing to the first accepted post of that version or a
 * newer one (the relay sends each concert's newest update, so a newer one stands for an older). A pair
 * never reached counts as lost. Baseline: the same with 100 connections. Figures only.
 */

import { fork } from 'node:child_process';
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
}

async function relayRun(connections: number, updates: number): Promise<RelayFigures> {
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
  const t = await startTestService({
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    REALTIME_COALESCE_MS: '0',
    WEBSOCKET_CALLBACK_URL: standInUrl,
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
    };
  } finally {
    await t.close();
    child.kill();
    await dropRedisPrefix(prefix);
  }
}

/** Posts per second over the busy stretches: 1-second buckets that received any post. */
function busyRate(times: number[]): number {
  const buckets = new Map<number, number>();
  for (const at of times) buckets.set(Math.floor(at / 1000), (buckets.get(Math.floor(at / 1000)) ?? 0) + 1);
  return buckets.size === 0 ? 0 : times.length / buckets.size;
}

/** The baseline (100 connections) and the measured run, as the row. */
export async function relayRow(connections: number, updates: number): Promise<Row> {
  const baseline = await relayRun(100, Math.min(updates, 3));
  console.log(`  relay, 100 connections: p99 ${baseline.p99} ms`);
  const figures = await relayRun(connections, updates);
  console.log(
    `  relay, ${int(connections)} connections: p99 ${figures.p99} ms, slowest update to all ${figures.slowestAllMs} ms, lost ${figures.lost}`,
  );
  return {
    figure: `AWS relay: one concert, ${int(connections)} connections, stand-in answering in ${POST_MS} ms`,
    baseline: `100 connections: p99 ${baseline.p99} ms`,
    value: `p50 ${figures.p50} ms, p99 ${figures.p99} ms, slowest update to all ${figures.slowestAllMs} ms; ${int(figures.postsPerSecond)} posts/s; ${figures.lost} (update, connection) pairs lost`,
    ratio: (figures.p99 / baseline.p99).toFixed(1),
    target: 'every update reaches all 10,000 within 1.5 s (p99), none lost',
    met: connections >= 10_000 && figures.p99 <= 1_500 && figures.lost === 0,
  };
}

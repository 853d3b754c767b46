/**
 * Shared pieces of the benchmarks (bench/*.ts): the scale of a run, load generators (closed loop and
 * open loop), percentiles, a process's RSS, and the row every figure is reported as. Nothing here is a
 * test and nothing here asserts a time: figures are printed and written to bench/results.md.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type pg from 'pg';
import { Pool } from 'undici';

/** How big a run is: `full` is the issue's scale, `quick` a reduced pass for a busy machine. */
export interface BenchScale {
  name: 'full' | 'quick';
  /** Seconds per measured HTTP run. */
  seconds: number;
  /** Closed-loop HTTP clients (autocannon connections). */
  connections: number;
  /** How many times the hot-tier and raw runs are repeated (the median is reported). */
  repeats: number;
  /** Watchers of one concert on one shim (raw WebSocket and Socket.IO rows). */
  watchers: number;
  /** Holds per second offered during the watcher rows. */
  watcherSaleRate: number;
  /** Seconds the watcher sale lasts. */
  watcherSeconds: number;
  /** Connections the AWS relay posts to. */
  relayConnections: number;
  /** Updates published during the relay row. */
  relayUpdates: number;
}

export const SCALES: Record<BenchScale['name'], BenchScale> = {
  full: {
    name: 'full',
    seconds: 10,
    connections: 256,
    repeats: 3,
    watchers: 10_000,
    watcherSaleRate: 500,
    watcherSeconds: 10,
    relayConnections: 10_000,
    relayUpdates: 10,
  },
  quick: {
    name: 'quick',
    seconds: 3,
    connections: 128,
    repeats: 1,
    watchers: 1_000,
    watcherSaleRate: 200,
    watcherSeconds: 4,
    relayConnections: 1_000,
    relayUpdates: 5,
  },
};

/** One line of the issue's table: what was measured, against which baseline of the same run, and the target. */
export interface Row {
  figure: string;
  /** The baseline's name and value, as printed (e.g. `raw hold 2,446/s`). */
  baseline: string;
  /** The measured value, as printed. */
  value: string;
  /** value ÷ baseline (or the ratio the target is stated in), printed. */
  ratio: string;
  target: string;
  /** True when the target is met; undefined when the row has no pass/fail target. */
  met: boolean | undefined;
  /** Why it is missed, or what limited it. */
  note?: string;
}

export interface Figures {
  label: string;
  /** Completions per second. */
  perSecond: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  failed?: number;
}

/** The p-th percentile (0–100) of ascending `sorted`, NaN when empty. */
export const percentile = (sorted: ArrayLike<number>, p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);

export const median = (values: number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** `1234.5` → `1,235`. */
export const int = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';

/** Runs `attempt` from `workers` loops for `seconds`; completions/s and latency percentiles (ms). */
export async function closedLoop(
  label: string,
  workers: number,
  seconds: number,
  attempt: (worker: number) => Promise<void>,
): Promise<Figures> {
  const latencies: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (Date.now() < deadline) {
        const started = performance.now();
        await attempt(w);
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    label,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

export interface OpenLoopResult extends Figures {
  /** Requests the schedule offered. */
  offered: number;
  /** Requests answered 2xx, with the answer's body (when `keepBodies`). */
  bodies: unknown[];
}

/**
 * Open-loop load (fixed arrival rate): request i is due at start + i/rate whatever came back before, and its
 * latency counts from when it was due, so a stalled server shows up as latency (no coordinated omission).
 * Uses an undici pool of `maxConnections` keep-alive connections; requests beyond them queue in the pool,
 * and that wait counts too.
 */
export async function openLoop(options: {
  label: string;
  origin: string;
  ratePerSecond: number;
  seconds: number;
  maxConnections: number;
  request: (i: number) => { path: string; headers: Record<string, string>; body: string };
  keepBodies?: boolean;
}): Promise<OpenLoopResult> {
  const pool = new Pool(options.origin, { connections: options.maxConnections, pipelining: 1 });
  const total = Math.round(options.ratePerSecond * options.seconds);
  const latencies: number[] = [];
  const bodies: unknown[] = [];
  let failed = 0;
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  let next = 0;
  while (next < total) {
    const now = performance.now();
    const dueCount = Math.min(total, Math.floor(((now - started) / 1000) * options.ratePerSecond) + 1);
    for (; next < dueCount; next++) {
      const due = started + (next * 1000) / options.ratePerSecond;
      const { path, headers, body } = options.request(next);
      inFlight.push(
        pool
          .request({ path, method: 'POST', headers, body })
          .then(async (response) => {
            const text = await response.body.text();
            latencies.push(performance.now() - due);
            if (response.statusCode >= 200 && response.statusCode < 300) {
              if (options.keepBodies) bodies.push(JSON.parse(text));
            } else failed++;
          })
          .catch(() => {
            latencies.push(performance.now() - due);
            failed++;
          }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    label: options.label,
    offered: total,
    perSecond: (latencies.length - failed) / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed,
    bodies,
  };
}

/** A process's resident set size in MB (Linux /proc), 0 when it is gone. */
export async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Samples `pid`'s RSS every 200 ms until the returned stop() is called; stop() answers the peak (MB). */
export function watchPeakRss(pid: number | undefined): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    void rssMb(pid).then((mb) => {
      peak = Math.max(peak, mb);
    });
  }, 200);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

/** The machine line of a results file: cores, CPU model, Node, load average (1/5/15 min). */
export function machine(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${load} (1/5/15 min) at the end of the run`;
}

/** Distinct loopback addresses (127.0.0.2, …), so many clients are not one address to the per-address caps. */
export function loopbackAddress(i: number): string {
  return `127.0.${Math.floor(i / 250) + 1}.${(i % 250) + 2}`;
}

/** A latency histogram in whole milliseconds (0 … 120 s): constant memory for millions of samples. */
export class Histogram {
  private readonly counts = new Uint32Array(120_001);
  count = 0;

  add(ms: number): void {
    const bucket = Math.max(0, Math.min(120_000, Math.round(ms)));
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.count++;
  }

  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.min(this.count - 1, Math.floor((p / 100) * this.count));
    let seen = 0;
    for (let ms = 0; ms < this.counts.length; ms++) {
      seen += this.counts[ms] ?? 0;
      if (seen > rank) return ms;
    }
    return 120_000;
  }
}

/**
 * Extra node arguments for every shim the benchmarks start, from BENCH_SHIM_NODE_ARGS (space-separated),
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (the profile is written when the shim exits).
 */
export const SHIM_NODE_ARGS = (process.env.BENCH_SHIM_NODE_ARGS ?? '').split(' ').filter(Boolean);

let serverBundle: Promise<string> | undefined;

/**
 * The container's bundled server (`server.mjs`), built once per run into a scratch directory. When the shims
 * are profiled (`--cpu-prof` in BENCH_SHIM_NODE_ARGS) its identifiers and lines are left unminified, so the
 * profile names functions (the code is otherwise the image's).
 */
export function bundledServer(): Promise<string> {
  serverBundle ??= (async () => {
    const { buildServer } = await import('../tools/build-server');
    const dir = await mkdtemp(join(tmpdir(), 'cts-bench-server-'));
    const profiled = SHIM_NODE_ARGS.some((arg) => arg.startsWith('--cpu-prof'));
    await buildServer(dir, profiled ? { minify: false, minifySyntax: true } : {});
    return join(dir, 'server.mjs');
  })();
  return serverBundle;
}

/**
 * `count` customers inserted straight into the database (no scrypt per user) and a token for each, signed
 * with the service's `jwtSecret` (HS256, one hour): many buyers, so the per-user lock never serializes a run.
 */
export async function benchBuyers(
  pool: pg.Pool,
  jwtSecret: string,
  count: number,
): Promise<{ users: string[]; tokens: string[] }> {
  const users = (
    await pool.query(
      `INSERT INTO users (email, name, password_hash, role)
       SELECT 'buyer-' || g || '-' || md5(random()::text) || '@bench.test', 'Buyer', 'x', 'customer'
         FROM generate_series(1, $1::integer) g RETURNING id`,
      [count],
    )
  ).rows.map((row) => String(row.id));
  const key = new TextEncoder().encode(jwtSecret);
  const tokens = await Promise.all(
    users.map((id) =>
      new SignJWT({ role: 'customer' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(id)
        .setIssuer('concert-ticket-system')
        .setExpirationTime('1h')
        .sign(key),
    ),
  );
  return { users, tokens };
}

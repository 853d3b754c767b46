/**
 * Fan-out rows of `npm run bench` (issues 3 and 19): N clients (raw WebSocket or Socket.IO) watch one
 * concert on one shim process while holds arrive at a fixed rate (open loop, many buyers). Reports the
 * latency from each sale's commit to the moment each client first holds an update that includes it, the
 * shim's peak RSS, and as the baseline the sale's own HTTP latency (how long the buyer waited for the
 * same commit).
 *
 * "Includes sale k": holds commit concurrently, so the k-th sale in commit order (the reservation's
 * `createdAt`, taken by PostgreSQL in the committing transaction) is counted as seen by a client when it
 * holds an update with `availableTickets ≤ capacity − (k + 1)`.
 *
 *   npm run bench:fanout -- --clients 2000 --rate 500 --seconds 10 [--transport ws|socket.io]
 *
 * Needs PostgreSQL and Redis on 127.0.0.1 (a scratch database and key prefix). Figures only.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { createTestDatabase } from '../test/support/postgres';
import { freePort, spawnServer, waitForReady } from '../test/support/processes';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../test/support/redis';
import { ApiClient } from '../test/support/test-service';
import { formatSummary, summariseNewestProfile } from './profile-summary';
import {
  benchBuyers,
  bundledServer,
  Histogram,
  int,
  loopbackAddress,
  openLoop,
  type Row,
  SHIM_NODE_ARGS,
  watchPeakRss,
} from './support';

export type WatcherTransport = 'ws' | 'socket.io';

/** The shim's V8 heap cap (MB) in these rows: room under the row's RSS target of 500 MB. */
export const FANOUT_HEAP_MB = 384;

export interface FanoutOptions {
  transport: WatcherTransport;
  clients: number;
  /** Holds per second offered. */
  rate: number;
  seconds: number;
  coalesceMs?: number;
}

export interface FanoutFigures {
  clients: number;
  sales: number;
  /** (sale, client) pairs never seen by the end. */
  missing: number;
  /** Commit → client, ms. */
  p50: number;
  p99: number;
  max: number;
  /** The buyers' own HTTP latency for the same holds, ms. */
  holdP99: number;
  /** Frames received per second over all clients. */
  framesPerSecond: number;
  peakRssMb: number;
  /** CPU seconds during the sale (and its 2 s tail): the shim, and this process (buyers and watchers). */
  shimCpuS: number;
  generatorCpuS: number;
  /** Wall seconds of the same window. */
  windowS: number;
  /** Where the shim's CPU went during the sale (its `--cpu-prof`), as printed lines. */
  profile: string[];
  /** Set when the shim stopped during the run. */
  shimExit?: string;
}

/** A process's user + system CPU seconds so far (Linux /proc), 0 when it is gone. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100; // USER_HZ is 100 on Linux
}

/** One client's receipts, in arrival order, keeping only those that lower `availableTickets`. */
class Receipts {
  readonly available: number[] = [];
  readonly at: number[] = [];

  add(availableTickets: number, now: number): void {
    const last = this.available.at(-1);
    if (last === undefined || availableTickets < last) {
      this.available.push(availableTickets);
      this.at.push(now);
    }
  }
}

export async function fanout(options: FanoutOptions): Promise<FanoutFigures> {
  const database = await createTestDatabase();
  const prefix = testRedisPrefix();
  const port = await freePort();
  const jwtSecret = randomBytes(32).toString('hex');
  // The shim is always profiled (sampling costs a few %): a missed row says where the time went.
  const profileDir = await mkdtemp(join(tmpdir(), 'cts-bench-fanout-prof-'));
  const extraArgs = SHIM_NODE_ARGS.some((arg) => arg.startsWith('--cpu-prof'))
    ? SHIM_NODE_ARGS
    : [...SHIM_NODE_ARGS, '--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const ownDir = SHIM_NODE_ARGS.find((arg) => arg.startsWith('--cpu-prof-dir='))?.split('=')[1];
  const admin = { ADMIN_EMAIL: 'bench@example.test', ADMIN_PASSWORD: 'bench-password' };
  const server = spawnServer(
    {
      PORT: String(port),
      DATABASE_URL: database.url,
      JWT_SECRET: jwtSecret,
      TICKETS_PER_USER_LIMIT: '0',
      HOLDS_PER_USER_LIMIT: '0',
      WS_CONNECTIONS_PER_ADDRESS: '0',
      REALTIME_COALESCE_MS: String(options.coalesceMs ?? 150),
      LOG_LEVEL: 'warn',
      // The image's 160 MB heap (local/Dockerfile, sized for a replica under 256 HTTP clients) cannot hold
      // 10,000 sockets (≈ 12 KB of heap each): this row's budget is its target, RSS ≤ 500 MB.
      NODE_OPTIONS: process.env.SHIM_NODE_OPTIONS ?? `--max-old-space-size=${FANOUT_HEAP_MB}`,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      ...admin,
    },
    await bundledServer(),
    extraArgs,
  );
  let shimExit: string | undefined;
  let stopping = false; // set before this run stops the shim itself: that exit is not a failure
  void server.exited.then((code) => {
    if (stopping) return;
    const oom = /heap out of memory/i.test(server.output());
    shimExit = `shim exited (code ${code}${oom ? ', JavaScript heap out of memory' : ''})`;
  });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const closers: Array<() => void> = [];
  try {
    const api = new ApiClient(`http://127.0.0.1:${port}`);
    await waitForReady(api.baseUrl);
    const adminToken = await api.login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);
    const sales = Math.round(options.rate * options.seconds);
    const capacity = sales + 1_000;
    const concert = await api.createConcert(adminToken, [
      { name: 'Floor', priceCents: 100, capacity, maxPerOrder: 1 },
    ]);
    const { tokens } = await benchBuyers(pool, jwtSecret, 1_000);

    const receipts: Receipts[] = [];
    // A client's connection reset (the shim closed it): counted and reported, the run goes on.
    const clientErrors: string[] = [];
    let frames = 0;
    const onUpdate = (seen: Receipts, message: { concertId?: string; availableTickets?: number }) => {
      frames++;
      if (message.concertId === concert.id && typeof message.availableTickets === 'number') {
        seen.add(message.availableTickets, Date.now());
      }
    };
    process.stdout.write(`  connecting ${int(options.clients)} ${options.transport} clients`);
    for (let i = 0; i < options.clients; i += 250) {
      await Promise.all(
        Array.from({ length: Math.min(250, options.clients - i) }, async (_, j) => {
          const seen = new Receipts();
          receipts.push(seen);
          const localAddress = loopbackAddress(i + j);
          if (options.transport === 'ws') {
            const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { localAddress });
            closers.push(() => socket.terminate());
            socket.on('error', (error) => clientErrors.push(String(error)));
            const joined = new Promise<void>((resolve) => {
              socket.on('message', (data) => {
                const message = JSON.parse(data.toString());
                if (message.type !== 'concert-update') return;
                onUpdate(seen, message);
                resolve();
              });
            });
            await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
            socket.send(JSON.stringify({ action: 'join-concert', concertId: concert.id }));
            await joined;
          } else {
            const socket: Socket = io(api.baseUrl, {
              transports: ['websocket'],
              reconnection: false,
              forceNew: true,
              localAddress,
            } as never);
            closers.push(() => socket.close());
            const joined = new Promise<void>((resolve) => {
              socket.on('concert-update', (message) => {
                onUpdate(seen, message);
                resolve();
              });
            });
            await new Promise<void>((resolve, reject) => {
              socket.once('connect', () => resolve());
              socket.once('connect_error', reject);
            });
            socket.emit('join-concert', concert.id);
            await joined;
          }
        }),
      );
      if (shimExit) throw new Error(`${shimExit}: ${server.output().slice(-2_000)}`);
      if ((i / 250) % 8 === 0) process.stdout.write('.');
    }
    console.log(
      ` joined${clientErrors.length ? ` (${clientErrors.length} client errors: ${clientErrors[0]})` : ''}`,
    );
    frames = 0;

    const stopRss = watchPeakRss(server.child.pid);
    const started = Date.now();
    const shimCpuBefore = await cpuSeconds(server.child.pid);
    const generatorCpuBefore = process.cpuUsage();
    const sale = await openLoop({
      label: 'sale',
      origin: api.baseUrl,
      ratePerSecond: options.rate,
      seconds: options.seconds,
      maxConnections: 64,
      keepBodies: true,
      request: (i) => ({
        path: '/api/reservations',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i % tokens.length]}` },
        body: JSON.stringify({ concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 }),
      }),
    });
    // Let the last coalescing windows go out.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const peakRssMb = stopRss();
    const ended = Date.now();
    const elapsed = (ended - started) / 1000;
    const shimCpuS = shimExit ? Number.NaN : (await cpuSeconds(server.child.pid)) - shimCpuBefore;
    const generatorCpu = process.cpuUsage(generatorCpuBefore);
    const generatorCpuS = (generatorCpu.user + generatorCpu.system) / 1e6;
    const commits = (sale.bodies as Array<{ reservation: { createdAt: string } }>)
      .map((body) => new Date(body.reservation.createdAt).getTime())
      .sort((a, b) => a - b);

    const histogram = new Histogram();
    let missing = 0;
    let max = 0;
    for (const seen of receipts) {
      let j = 0;
      for (let k = 0; k < commits.length; k++) {
        const level = capacity - (k + 1);
        while (j < seen.available.length && (seen.available[j] ?? 0) > level) j++;
        if (j >= seen.available.length) {
          missing += commits.length - k;
          break;
        }
        const latency = (seen.at[j] ?? 0) - (commits[k] ?? 0);
        histogram.add(latency);
        max = Math.max(max, latency);
      }
    }
    for (const close of closers.splice(0)) close();
    stopping = true;
    server.child.kill('SIGTERM');
    await server.exited;
    const exitedAt = Date.now();
    const summary = await summariseNewestProfile(ownDir ?? profileDir, 15, {
      fromMsBeforeEnd: exitedAt - started,
      toMsBeforeEnd: exitedAt - ended,
    });
    return {
      clients: options.clients,
      sales: commits.length,
      missing,
      p50: histogram.percentile(50),
      p99: histogram.percentile(99),
      max,
      holdP99: sale.p99,
      framesPerSecond: frames / elapsed,
      peakRssMb,
      shimCpuS,
      generatorCpuS,
      windowS: elapsed,
      profile: summary ? formatSummary(summary, 12) : [],
      ...(shimExit ? { shimExit } : {}),
    };
  } finally {
    await rm(profileDir, { recursive: true, force: true });
    for (const close of closers) close();
    await pool.end();
    server.child.kill('SIGTERM');
    await server.exited;
    await database.drop();
    await dropRedisPrefix(prefix);
  }
}

/** The row of the issue's table for one transport. */
export function fanoutRow(figures: FanoutFigures, transport: WatcherTransport, rate: number): Row {
  const p99Target = transport === 'ws' ? 250 : 300;
  const met =
    figures.clients >= 10_000 &&
    figures.missing === 0 &&
    figures.p99 <= p99Target &&
    (transport === 'socket.io' || figures.peakRssMb <= 500) &&
    !figures.shimExit;
  return {
    figure: `${transport === 'ws' ? 'raw WebSocket' : 'Socket.IO'} watchers of one concert on one shim, ${int(rate)} holds/s sale: commit → client`,
    baseline: `the buyer's own HTTP p99 ${figures.holdP99.toFixed(0)} ms`,
    value: `${int(figures.clients)} watchers, p50 ${figures.p50} ms, p99 ${figures.p99} ms, max ${figures.max} ms; shim RSS ${figures.peakRssMb.toFixed(0)} MB; ${int(figures.framesPerSecond)} frames/s${figures.missing ? `; ${int(figures.missing)} (sale, watcher) pairs never seen` : ''}; CPU over the ${figures.windowS.toFixed(0)} s sale: shim ${figures.shimCpuS.toFixed(1)} s, load generator and watchers ${figures.generatorCpuS.toFixed(1)} s (2 cores: ${(2 * figures.windowS).toFixed(0)} s)`,
    ratio: (figures.p99 / figures.holdP99).toFixed(1),
    target: transport === 'ws' ? '10,000, p99 ≤ 250 ms, RSS ≤ 500 MB' : '10,000, p99 ≤ 300 ms',
    met,
    ...(figures.shimExit ? { note: figures.shimExit } : {}),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '2000' },
      rate: { type: 'string', default: '500' },
      seconds: { type: 'string', default: '10' },
      'coalesce-ms': { type: 'string', default: '150' },
      transport: { type: 'string', default: 'ws' },
    },
  });
  const transport = values.transport === 'socket.io' ? 'socket.io' : 'ws';
  fanout({
    transport,
    clients: Number(values.clients),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    coalesceMs: Number(values['coalesce-ms']),
  })
    .then((figures) => {
      console.log(figures);
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}

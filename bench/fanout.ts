/**
 * Fan-out benchmark (issue 3): N WebSocket clients watch one concert on one shim process while
 * reservations arrive at a steady rate. Prints delivered messages/s and the latency from each sale's
 * commit (the reservation's `createdAt`, taken by PostgreSQL in the committing transaction) to the moment
 * each client first holds an update that includes it.
 *
 *   npm run bench:fanout -- --clients 2000 --rate 4 --seconds 10 [--coalesce-ms 150] [--no-redis]
 *
 * Needs PostgreSQL on 127.0.0.1 (a scratch database is created and dropped) and, unless --no-redis,
 * Redis on 127.0.0.1:6379 (a scratch key prefix). Figures only: nothing here asserts a time.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { createTestDatabase } from '../test/support/postgres';
import { freePort, spawnServer, waitForReady } from '../test/support/processes';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../test/support/redis';
import { ApiClient } from '../test/support/test-service';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    'coalesce-ms': { type: 'string', default: '150' },
    'no-redis': { type: 'boolean', default: false },
  },
});
const clientCount = Number(values.clients);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const coalesceMs = Number(values['coalesce-ms']);
const useRedis = !values['no-redis'];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const database = await createTestDatabase();
  const prefix = testRedisPrefix();
  const port = await freePort();
  const admin = { ADMIN_EMAIL: 'bench@example.test', ADMIN_PASSWORD: 'bench-password' };
  const server = spawnServer({
    PORT: String(port),
    DATABASE_URL: database.url,
    JWT_SECRET: randomBytes(32).toString('hex'),
    TICKETS_PER_USER_LIMIT: '0',
    HOLDS_PER_USER_LIMIT: '0',
    REALTIME_COALESCE_MS: String(coalesceMs),
    LOG_LEVEL: 'warn',
    ...(useRedis ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
    ...admin,
  });
  const sockets: WebSocket[] = [];
  try {
    const api = new ApiClient(`http://127.0.0.1:${port}`);
    await waitForReady(api.baseUrl);
    const adminToken = await api.login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);
    const sales = Math.ceil(rate * seconds);
    const concert = await api.createConcert(adminToken, [
      { name: 'Floor', priceCents: 100, capacity: sales + 10, maxPerOrder: 1 },
    ]);
    const capacity = sales + 10;
    const fan = await api.register('bench-fan@example.test');

    // Each client remembers when it first saw each availability level.
    const firstSeen: Array<Map<number, number>> = [];
    let frames = 0;
    process.stdout.write(`connecting ${clientCount} clients`);
    for (let i = 0; i < clientCount; i += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, clientCount - i) }, async () => {
          const seen = new Map<number, number>();
          firstSeen.push(seen);
          const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
          sockets.push(socket);
          let snapshot: () => void = () => undefined;
          const joined = new Promise<void>((resolve) => {
            snapshot = resolve;
          });
          socket.on('message', (data) => {
            const now = Date.now();
            const message = JSON.parse(data.toString());
            if (message.type !== 'concert-update') return;
            frames++;
            if (!seen.has(message.availableTickets)) seen.set(message.availableTickets, now);
            snapshot();
          });
          await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
          socket.send(JSON.stringify({ action: 'join-concert', concertId: concert.id }));
          await joined;
        }),
      );
      process.stdout.write('.');
    }
    console.log(' joined');
    frames = 0;

    const commits: number[] = [];
    const started = Date.now();
    for (let k = 0; k < sales; k++) {
      const due = started + (k * 1000) / rate;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const response = await api.request('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
      });
      if (response.status !== 201) throw new Error(`sale ${k} failed: ${JSON.stringify(response.body)}`);
      commits.push(new Date(response.body.reservation.createdAt).getTime());
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(500, coalesceMs * 3)));
    const elapsed = (Date.now() - started) / 1000;

    const latencies: number[] = [];
    let missing = 0;
    for (const seen of firstSeen) {
      const levels = [...seen.entries()].sort((a, b) => b[0] - a[0]);
      for (let k = 0; k < sales; k++) {
        const level = capacity - (k + 1);
        // The first update at or below this level includes sale k.
        const receipt = levels.find(([available]) => available <= level)?.[1];
        if (receipt === undefined) missing++;
        else latencies.push(receipt - (commits[k] ?? receipt));
      }
    }
    latencies.sort((a, b) => a - b);
    const lines = [
      `## Fan-out, ${new Date().toISOString()}`,
      '',
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
      `setup: ${clientCount} ws clients on one shim process, ${useRedis ? 'Redis pub/sub' : 'in-process bus'}, coalescing ${coalesceMs} ms, ${rate} sales/s for ${seconds} s`,
      '',
      '| figure | value |',
      '|---|---|',
      `| sales | ${sales} |`,
      `| frames delivered | ${frames} (${(frames / elapsed).toFixed(0)} messages/s) |`,
      `| (sale, client) pairs measured | ${latencies.length}${missing ? `, ${missing} never seen` : ''} |`,
      `| commit → receipt p50 | ${percentile(latencies, 50)} ms |`,
      `| commit → receipt p99 | ${percentile(latencies, 99)} ms |`,
      `| commit → receipt max | ${latencies.at(-1)} ms |`,
      '',
    ];
    console.log(lines.join('\n'));
    await writeFile('bench/fanout-results.md', `${lines.join('\n')}\n`, { flag: 'a' });
  } finally {
    for (const socket of sockets) socket.terminate();
    server.child.kill('SIGTERM');
    await server.exited;
    await database.drop();
    if (useRedis) await dropRedisPrefix(prefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

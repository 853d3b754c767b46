/**
 * Waiting-room benchmark (issue 20). Two shims on one PostgreSQL and one Redis prefix, as two replicas:
 *   1. `--fans` simulated fans (default 20,000) join the queue of one concert within 5 s around its
 *      on-sale moment, spread over both shims: every join answered? p50 / p99 join latency;
 *   2. `--followers` of them follow over raw WebSocket: how long an admission takes to reach the fan
 *      (receipt time minus `admittedAt`);
 *   3. the whole sale of `--tickets` tickets (default 1,000, one per fan): fans poll their place, reserve
 *      with their admission and confirm, in queue order; meanwhile fans never admitted try to reserve
 *      (no token, a made-up one, another fan's): exactly `--tickets` sold, nobody reserves without an
 *      admission, and admissions follow the queue's order.
 * Figures are printed. Nothing here is a test (not part of `npm test`).
 *
 * The fans' HTTP calls go through one keep-alive agent per shim with at most `--sockets` connections
 * each (default 256), so 20,000 fans from one process never run out of file descriptors; a join's
 * latency runs from the moment its fan issues it (its slot in the 5 s), waiting for a socket included.
 * The bench database's busiest statements (pg_stat_statements) are printed at the end.
 * `BENCH_SHIM_NODE_ARGS` (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to both shims' node.
 *
 *   npx tsx bench/waiting-room.ts [--fans 20000] [--tickets 1000] [--followers 200] [--rate 6000]
 *     [--sockets 256] [--ports 6180,6181]
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import pg from 'pg';
import WebSocket from 'ws';
import { createTestDatabase } from '../test/support/postgres';
import { freePort, type ServiceProcess, spawnServer, waitForReady } from '../test/support/processes';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../test/support/redis';
import { ApiClient } from '../test/support/test-service';

const { values } = parseArgs({
  options: {
    fans: { type: 'string', default: '20000' },
    tickets: { type: 'string', default: '1000' },
    followers: { type: 'string', default: '200' },
    rate: { type: 'string', default: '6000' },
    sockets: { type: 'string', default: '256' },
    ports: { type: 'string' },
  },
});
const FANS = Number(values.fans);
const TICKETS = Number(values.tickets);
const FOLLOWERS = Math.min(Number(values.followers), FANS);
const RATE = Number(values.rate);
const JOIN_SPREAD_MS = 5_000;
const SOCKETS = Number(values.sockets);
const SHIM_NODE_ARGS = (process.env.BENCH_SHIM_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** One HTTP answer, its body parsed (an empty body as {}). */
interface Answer {
  status: number;
  retryAfter: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: the bench reads answers the tests check strictly elsewhere
  body: Record<string, any>;
}

/** A request over `agent` (keep-alive, bounded sockets); rejects on a transport error (its `code`). */
function send(
  agent: http.Agent,
  url: URL,
  method: string,
  headers: Record<string, string>,
  payload?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, agent, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            const text = Buffer.concat(chunks).toString();
            const retryAfter = response.headers['retry-after'];
            resolve({
              status: response.statusCode ?? 0,
              retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
              body: text ? JSON.parse(text) : {},
            });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const database = await createTestDatabase();
  const prefix = testRedisPrefix();
  const jwtSecret = randomBytes(32).toString('hex');
  const admin = { ADMIN_EMAIL: 'bench-admin@example.test', ADMIN_PASSWORD: 'bench-password' };
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    JWT_SECRET: jwtSecret,
    QUEUE_JOINS_PER_ADDRESS_PER_MINUTE: '0',
    REGISTRATIONS_PER_ADDRESS_PER_MINUTE: '0',
    WS_CONNECTIONS_PER_ADDRESS: '0',
    LOG_LEVEL: 'warn',
    ...admin,
  };
  const ports = values.ports ? values.ports.split(',').map(Number) : [await freePort(), await freePort()];
  const shims: ServiceProcess[] = [];
  const pool = new pg.Pool({ connectionString: database.url, max: 8 });
  const agents = ports.map(() => new http.Agent({ keepAlive: true, maxSockets: SOCKETS }));
  const redis = new Redis(TEST_REDIS_URL);
  const sockets: WebSocket[] = [];
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    shims.push(
      spawnServer({ ...env, PORT: String(ports[0]), INSTANCE_ID: 'shim-1' }, undefined, SHIM_NODE_ARGS),
    );
    await waitForReady(`http://127.0.0.1:${ports[0]}`, 60_000);
    shims.push(
      spawnServer({ ...env, PORT: String(ports[1]), INSTANCE_ID: 'shim-2' }, undefined, SHIM_NODE_ARGS),
    );
    await waitForReady(`http://127.0.0.1:${ports[1]}`, 60_000);
    const bases = ports.map((port) => `http://127.0.0.1:${port}`);
    const api = new ApiClient(bases[0] as string);
    const adminToken = await api.login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);

    // Fans as rows and signed tokens: no password hashing in the measurement.
    const users = (
      await pool.query(
        `INSERT INTO users (email, name, password_hash, role)
         SELECT 'fan-' || g || '@bench.test', 'Fan', 'x', 'customer' FROM generate_series(1, $1::integer) g
         RETURNING id`,
        [FANS],
      )
    ).rows.map((row) => String(row.id));
    const key = new TextEncoder().encode(jwtSecret);
    const tokens = await Promise.all(
      users.map((id) =>
        new SignJWT({ role: 'customer', ver: 0 })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(id)
          .setIssuer('concert-ticket-system')
          .setExpirationTime('2h')
          .sign(key),
      ),
    );

    // The sale opens in the middle of the 5 s of joins; nobody is admitted until the joins are over (paused),
    // so the queue's order can be read whole before the first admission.
    const onSaleAt = Date.now() + 4_000 + JOIN_SPREAD_MS / 2;
    const created = await api.request('POST', '/api/concerts', {
      token: adminToken,
      body: {
        title: 'Bench on-sale',
        artist: 'The Queue',
        venue: 'Arena',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        onSaleAt: new Date(onSaleAt).toISOString(),
        waitingRoom: { enabled: true, admissionPerMinute: RATE, paused: true },
        tiers: [{ name: 'GA', priceCents: 5000, capacity: TICKETS, maxPerOrder: 1 }],
      },
    });
    if (created.status !== 201) throw new Error(`concert not created: ${JSON.stringify(created.body)}`);
    const concertId = String(created.body.concert.id);
    const tierId = String(created.body.concert.tiers[0].id);
    const base = (fan: number) => bases[fan % 2] as string;
    const call = (fan: number, method: string, path: string, body?: unknown) =>
      send(
        agents[fan % 2] as http.Agent,
        new URL(path, base(fan)),
        method,
        {
          authorization: `Bearer ${tokens[fan]}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body === undefined ? undefined : JSON.stringify(body),
      );

    // Followers connect first (the first FOLLOWERS fans), half on each shim.
    const admittedLag: number[] = [];
    const waitingGaps: number[] = [];
    for (let fan = 0; fan < FOLLOWERS; fan++) {
      const socket = new WebSocket(`${base(fan).replace('http', 'ws')}/ws?token=${tokens[fan]}`);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      let lastWaiting = 0;
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString());
        if (message.type !== 'queue-position') return;
        const now = Date.now();
        if (message.status === 'admitted' && message.admittedAt)
          admittedLag.push(now - Date.parse(message.admittedAt));
        if (message.status === 'waiting') {
          if (lastWaiting) waitingGaps.push(now - lastWaiting);
          lastWaiting = now;
        }
      });
      sockets.push(socket);
    }

    // 1. Joins: fan i at joinStart + i × spread / FANS, each on its own (open loop).
    console.log(`joining ${FANS} fans over ${JOIN_SPREAD_MS / 1000} s around on-sale, on two shims…`);
    const joinStart = onSaleAt - JOIN_SPREAD_MS / 2;
    await sleep(Math.max(0, joinStart - Date.now()));
    /** From the first try to the 200 (retries included). */
    const latencies: number[] = [];
    let joinFailures = 0;
    let retries = 0;
    const failureKinds = new Map<string, number>();
    const failed = (kind: string) => {
      joinFailures++;
      failureKinds.set(kind, (failureKinds.get(kind) ?? 0) + 1);
    };
    await Promise.all(
      users.map(async (_, fan) => {
        const issueAt = joinStart + (fan * JOIN_SPREAD_MS) / FANS;
        await sleep(Math.max(0, issueAt - Date.now()));
        // From the fan's moment to ask, even when the timer fired late or no socket was free yet.
        const started = performance.now() - Math.max(0, Date.now() - issueAt);
        try {
          if (fan < FOLLOWERS) {
            const socket = sockets[fan] as WebSocket;
            const answered = new Promise<void>((resolve) => {
              const listener = (data: WebSocket.RawData) => {
                if (JSON.parse(data.toString()).type === 'queue-position') {
                  socket.off('message', listener);
                  resolve();
                }
              };
              socket.on('message', listener);
            });
            socket.send(JSON.stringify({ action: 'join-queue', concertId }));
            await answered;
          } else {
            // As a fan's page does: a 503 or 429 is tried again after its Retry-After (at most 5 tries).
            let response = await call(fan, 'POST', `/api/concerts/${concertId}/queue`);
            for (
              let attempt = 1;
              attempt < 5 && (response.status === 503 || response.status === 429);
              attempt++
            ) {
              retries++;
              await sleep(1_000 * Number(response.retryAfter ?? 1));
              response = await call(fan, 'POST', `/api/concerts/${concertId}/queue`);
            }
            if (response.status !== 200) {
              failed(`${response.status} ${String(response.body.error?.code)}`);
              return;
            }
          }
          latencies.push(performance.now() - started);
        } catch (error) {
          failed((error as { code?: string }).code ?? (error as Error).message);
        }
      }),
    );
    const joinsTook = Date.now() - joinStart;
    latencies.sort((a, b) => a - b);
    const waiting = await redis.zcard(`${prefix}queue:${concertId}:waiting`);

    // The queue's order, read whole before anyone is admitted.
    const order = await redis.zrange(`${prefix}queue:${concertId}:waiting`, 0, -1);
    await sleep(Math.max(0, onSaleAt - Date.now()));
    const saleStart = Date.now();
    await api.request('PATCH', `/api/admin/concerts/${concertId}/queue`, {
      token: adminToken,
      body: { paused: false },
    });

    // 3. The sale: the next fans in line poll their place; the admitted reserve and confirm. Intruders try too.
    const indexOf = new Map(users.map((id, index) => [id, index]));
    const queueOrder = order.map((id) => indexOf.get(id) as number);
    let next = 0;
    const pending = new Set<number>();
    let sold = 0;
    let intruderRefusals = 0;
    let intruderSuccesses = 0;
    const refusalCodes = new Map<string, number>();
    const notAdmitted = queueOrder.slice(-200);
    const intruders = (async () => {
      for (const [i, fan] of notAdmitted.entries()) {
        const tokenOfAnother = i % 3 === 2 ? 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad' : undefined;
        const response = await call(fan, 'POST', '/api/reservations', {
          concertId,
          tierId,
          quantity: 1,
          ...(tokenOfAnother ? { admissionToken: tokenOfAnother } : {}),
        });
        if (response.status === 201) intruderSuccesses++;
        else {
          intruderRefusals++;
          const code = String(response.body.error?.code);
          refusalCodes.set(code, (refusalCodes.get(code) ?? 0) + 1);
        }
        await sleep(20);
      }
    })();
    const buy = async (fan: number) => {
      const place = await call(fan, 'GET', `/api/concerts/${concertId}/queue`);
      const queue = place.body.queue;
      if (queue?.status === 'sold-out' || queue?.status === 'window-expired') return 'done';
      if (queue?.status !== 'admitted') return 'wait';
      const hold = await call(fan, 'POST', '/api/reservations', {
        concertId,
        tierId,
        quantity: 1,
        admissionToken: queue.admission.token,
      });
      if (hold.status !== 201) return 'done'; // sold out meanwhile
      const confirm = await call(fan, 'POST', `/api/reservations/${hold.body.reservation.id}/confirm`);
      if (confirm.status === 200) sold++;
      return 'done';
    };
    const saleDeadline = Date.now() + 10 * 60_000;
    while (Date.now() < saleDeadline) {
      while (pending.size < 300 && next < queueOrder.length) pending.add(queueOrder[next++] as number);
      const outcomes = await Promise.all([...pending].map(async (fan) => [fan, await buy(fan)] as const));
      for (const [fan, outcome] of outcomes) if (outcome === 'done') pending.delete(fan);
      const concert = await api.request('GET', `/api/concerts/${concertId}`);
      if (concert.body.concert.availableTickets === 0 && sold >= TICKETS) break;
      if (next >= queueOrder.length && pending.size === 0) break;
      await sleep(250);
    }
    const saleTook = Date.now() - saleStart;
    await intruders;

    // The checks, from the database.
    const [{ confirmed }] = (
      await pool.query(
        `SELECT coalesce(sum(quantity), 0)::integer AS confirmed FROM reservations
          WHERE concert_id = $1 AND status = 'confirmed'`,
        [concertId],
      )
    ).rows;
    const [{ unadmitted }] = (
      await pool.query(
        `SELECT count(*)::integer AS unadmitted FROM reservations r
          WHERE r.concert_id = $1 AND NOT EXISTS (
            SELECT 1 FROM queue_admissions a
             WHERE a.concert_id = r.concert_id AND a.user_id = r.user_id AND a.admitted_at <= r.created_at)`,
        [concertId],
      )
    ).rows;
    const admissions = (
      await pool.query('SELECT user_id, admitted_at FROM queue_admissions WHERE concert_id = $1', [concertId])
    ).rows.map((row) => ({
      fan: indexOf.get(String(row.user_id)) as number,
      at: new Date(row.admitted_at).getTime(),
    }));
    const admittedAt = new Map(admissions.map((admission) => [admission.fan, admission.at]));
    let outOfOrder = 0;
    let previous = 0;
    for (const fan of queueOrder) {
      const at = admittedAt.get(fan);
      if (at === undefined) continue;
      if (at < previous) outOfOrder++;
      previous = Math.max(previous, at);
    }
    // Nobody admitted after someone behind them: the admitted are a prefix of the queue.
    const admittedPrefix = queueOrder.findIndex((fan) => !admittedAt.has(fan));
    const gapsAfterPrefix = queueOrder
      .slice(admittedPrefix === -1 ? queueOrder.length : admittedPrefix)
      .filter((fan) => admittedAt.has(fan)).length;
    admittedLag.sort((a, b) => a - b);
    waitingGaps.sort((a, b) => a - b);

    console.log('\n== waiting room benchmark ==');
    console.log(
      `fans ${FANS}, tickets ${TICKETS}, WebSocket followers ${FOLLOWERS}, rate ${RATE}/min, two shims`,
    );
    console.log(
      `joins: ${latencies.length} answered 200 of ${FANS} (${joinFailures} failed, ${retries} retried after 503/429) in ${(joinsTook / 1000).toFixed(1)} s${joinFailures ? ` (${[...failureKinds].map(([kind, n]) => `${kind}: ${n}`).join(', ')})` : ''}; p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1) ?? Number.NaN)}; ${waiting} places in Redis`,
    );
    console.log(
      `admission → fan (WebSocket): ${admittedLag.length} measured; p50 ${ms(percentile(admittedLag, 50))}, p99 ${ms(percentile(admittedLag, 99))}, max ${ms(admittedLag.at(-1) ?? Number.NaN)}`,
    );
    console.log(
      `gaps between two 'waiting' updates to one fan: ${waitingGaps.length}; min ${ms(waitingGaps[0] ?? Number.NaN)}, p50 ${ms(percentile(waitingGaps, 50))}`,
    );
    console.log(
      `sale: ${(saleTook / 1000).toFixed(1)} s; confirmed tickets ${confirmed} (expected ${TICKETS}); reservations without an admission ${unadmitted}; admissions ${admissions.length}; out of queue order ${outOfOrder}; admitted outside the queue's prefix ${gapsAfterPrefix}`,
    );
    console.log(
      `intruders (never admitted): ${intruderRefusals} refused (${[...refusalCodes].map(([code, n]) => `${code} ${n}`).join(', ')}), ${intruderSuccesses} got through`,
    );
    const { rows: busiest } = await pool.query(
      `SELECT calls::integer, round(total_exec_time)::integer AS total_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
         FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY calls DESC LIMIT 8`,
    );
    console.log('busiest statements (pg_stat_statements, the run database):');
    for (const row of busiest)
      console.log(
        `  ${String(row.calls).padStart(7)} calls ${String(row.total_ms).padStart(7)} ms  ${row.query}`,
      );
  } catch (error) {
    // A shim that died says why in its own output.
    for (const [index, shim] of shims.entries()) {
      if (shim.child.exitCode !== null || shim.child.signalCode !== null) {
        console.error(`shim-${index + 1} exited (${shim.child.exitCode ?? shim.child.signalCode}):`);
        console.error(shim.output().slice(-4_000));
      }
    }
    throw error;
  } finally {
    for (const socket of sockets) socket.close();
    for (const agent of agents) agent.destroy();
    for (const shim of shims) shim.child.kill('SIGTERM');
    await Promise.all(shims.map((shim) => shim.exited));
    redis.disconnect();
    await pool.end();
    await database.drop();
    await dropRedisPrefix(prefix);
  }
}

await main();

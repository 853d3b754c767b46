/**
 * Flash-sale benchmark (issue 7). In ONE run, against the same PostgreSQL:
 *   1. the raw limit: the one-request hold statement (reserve_tickets) straight from node-postgres,
 *      at the best of several pool sizes, no HTTP;
 *   2. the usual approach: BEGIN; SELECT … FOR UPDATE; UPDATE; INSERT; COMMIT per request;
 *   3. the service over HTTP (autocannon): one shim on one hot tier, one shim on 100 concerts, and two
 *      shims behind nginx on the hot tier;
 * then the ratios 3/1 and 3/2, an oversell check, the read path, and the shim's peak RSS.
 * Figures are printed and appended to bench/results.md. Nothing here is a test.
 *
 *   npm run bench -- [--seconds 10] [--connections 256]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import pg from 'pg';
import { startNginx } from '../test/support/nginx';
import { createTestDatabase } from '../test/support/postgres';
import { freePort, type ServiceProcess, spawnServer, waitForReady } from '../test/support/processes';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../test/support/redis';
import { ApiClient } from '../test/support/test-service';
import { buildServer } from '../tools/build-server';

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '256' } },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const CAPACITY = 1_000_000;

interface Figures {
  label: string;
  perSecond: number;
  p50: number;
  p99: number;
  note?: string;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/** Runs `attempt` from `workers` loops for SECONDS; returns completions/s and latency percentiles. */
async function closedLoop(
  label: string,
  workers: number,
  attempt: (worker: number) => Promise<void>,
): Promise<Figures> {
  const latencies: number[] = [];
  const deadline = Date.now() + SECONDS * 1000;
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
    perSecond: latencies.length / SECONDS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function http(
  label: string,
  url: string,
  tokens: string[],
  body: (i: number) => string,
): Promise<Figures> {
  let i = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    method: 'POST',
    requests: [
      {
        setupRequest: (request: Record<string, unknown>) => {
          const n = i++;
          return {
            ...request,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${tokens[n % tokens.length]}`,
            },
            body: body(n),
          };
        },
      },
    ],
  } as never);
  const failed = result.non2xx + result.errors;
  return {
    label,
    perSecond: result['2xx'] / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ...(failed ? { note: `${failed} non-2xx or errors` } : {}),
  };
}

async function main(): Promise<void> {
  const database = await createTestDatabase();
  const prefix = testRedisPrefix();
  const jwtSecret = randomBytes(32).toString('hex');
  const admin = { ADMIN_EMAIL: 'bench@example.test', ADMIN_PASSWORD: 'bench-password' };
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    JWT_SECRET: jwtSecret,
    TICKETS_PER_USER_LIMIT: '0',
    HOLDS_PER_USER_LIMIT: '0',
    LOG_LEVEL: 'warn',
    // As in the image: a bounded old generation keeps RSS in check under load.
    NODE_OPTIONS: process.env.SHIM_NODE_OPTIONS ?? '--max-old-space-size=160',
    ...admin,
  };
  const ports = [await freePort(), await freePort()];
  // The shims run as the container image runs them: the bundled server under plain node.
  const bundleDir = await mkdtemp(join(tmpdir(), 'cts-bench-server-'));
  await buildServer(bundleDir);
  const server = join(bundleDir, 'server.mjs');
  const shims: ServiceProcess[] = [
    spawnServer({ ...env, PORT: String(ports[0]), INSTANCE_ID: 'shim-1' }, server),
  ];
  const pool = new pg.Pool({ connectionString: database.url, max: 16 });
  const results: Figures[] = [];
  let peakRss = 0;
  try {
    await waitForReady(`http://127.0.0.1:${ports[0]}`);
    const api = new ApiClient(`http://127.0.0.1:${ports[0]}`);
    const adminToken = await api.login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);
    const startsAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const concerts = [];
    for (let i = 0; i < 101; i++) {
      concerts.push(
        await api.createConcert(
          adminToken,
          [{ name: 'Floor', priceCents: 100, capacity: CAPACITY, maxPerOrder: 1 }],
          { startsAt, title: `Show ${i}` },
        ),
      );
    }
    const [hot, ...many] = concerts as [(typeof concerts)[number], ...typeof concerts];
    const hotTier = hot.tiers[0]?.id as string;

    // Many buyers, so the per-user lock never serializes the load.
    const users = (
      await pool.query(
        `INSERT INTO users (email, name, password_hash, role)
         SELECT 'buyer-' || g || '@bench.test', 'Buyer', 'x', 'customer' FROM generate_series(1, 2000) g RETURNING id`,
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

    // 1. The raw limit.
    let raw: Figures | undefined;
    for (const size of [2, 4, 8, 16]) {
      let n = 0;
      const figures = await closedLoop(`raw reserve_tickets, pool ${size}`, size, async () => {
        await pool.query('SELECT * FROM reserve_tickets($1, $2, $3, 1, NULL, 600, 0)', [
          users[n++ % users.length],
          hot.id,
          hotTier,
        ]);
      });
      console.log(`${figures.label}: ${figures.perSecond.toFixed(0)}/s`);
      if (!raw || figures.perSecond > raw.perSecond) raw = figures;
    }
    if (raw) results.push({ ...raw, label: `1. raw one-statement hold (best: ${raw.label.split(', ')[1]})` });

    // 2. The usual approach, at the same pool size.
    const usualSize = Number(raw?.label.match(/pool (\d+)/)?.[1] ?? 8);
    let m = 0;
    const usual = await closedLoop(
      `2. BEGIN; SELECT … FOR UPDATE; UPDATE; INSERT; COMMIT (pool ${usualSize})`,
      usualSize,
      async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query(
            'SELECT available, price_cents, currency FROM ticket_tiers WHERE id = $1 FOR UPDATE',
            [hotTier],
          );
          if ((rows[0]?.available ?? 0) >= 1) {
            await client.query(
              'UPDATE ticket_tiers SET available = available - 1, version = version + 1 WHERE id = $1',
              [hotTier],
            );
            await client.query(
              `INSERT INTO reservations (user_id, concert_id, tier_id, quantity, total_cents, currency, status, expires_at)
             VALUES ($1, $2, $3, 1, $4, $5, 'held', now() + interval '10 minutes')`,
              [users[m++ % users.length], hot.id, hotTier, rows[0]?.price_cents, rows[0]?.currency],
            );
          }
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      },
    );
    results.push(usual);
    console.log(`${usual.label}: ${usual.perSecond.toFixed(0)}/s`);

    // 3. The service over HTTP.
    const rssTimer = setInterval(async () => {
      for (const shim of shims) {
        const status = await readFile(`/proc/${shim.child.pid}/status`, 'utf8').catch(() => '');
        const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peakRss = Math.max(peakRss, kb / 1024);
      }
    }, 200);
    const holdBody = (concertId: string, tierId: string) =>
      JSON.stringify({ concertId, tierId, quantity: 1 });
    // Warm up the shim (JIT, pools) before measuring.
    await http('warm-up', `${api.baseUrl}/api/reservations`, tokens, () =>
      holdBody(many[0]?.id ?? '', many[0]?.tiers[0]?.id ?? ''),
    );
    const hotHttp = await http(
      `3a. HTTP, one shim, hot tier, ${CONNECTIONS} clients`,
      `${api.baseUrl}/api/reservations`,
      tokens,
      () => holdBody(hot.id, hotTier),
    );
    results.push(hotHttp);
    console.log(`${hotHttp.label}: ${hotHttp.perSecond.toFixed(0)}/s p99 ${hotHttp.p99} ms`);
    const spread = await http(
      `3b. HTTP, one shim, 100 concerts, ${CONNECTIONS} clients`,
      `${api.baseUrl}/api/reservations`,
      tokens,
      (i) => {
        const concert = many[i % many.length] as (typeof many)[number];
        return holdBody(concert.id, concert.tiers[0]?.id as string);
      },
    );
    results.push(spread);
    console.log(`${spread.label}: ${spread.perSecond.toFixed(0)}/s`);

    const read = await autocannon({
      url: `${api.baseUrl}/api/concerts/${hot.id}`,
      connections: 64,
      duration: SECONDS,
    } as never);
    results.push({
      label: '   read path: GET concert, one shim (64 clients)',
      perSecond: read.requests.average,
      p50: read.latency.p50,
      p99: read.latency.p99,
    });

    shims.push(spawnServer({ ...env, PORT: String(ports[1]), INSTANCE_ID: 'shim-2' }, server));
    await waitForReady(`http://127.0.0.1:${ports[1]}`);
    const nginx = await startNginx(
      ports.map((port) => `127.0.0.1:${port}`),
      { withoutRateLimits: true },
    );
    try {
      const twoShims = await http(
        `3c. HTTPS, two shims behind nginx, hot tier, ${CONNECTIONS} clients`,
        `${nginx.httpsUrl}/api/reservations`,
        tokens,
        () => holdBody(hot.id, hotTier),
      );
      results.push(twoShims);
      console.log(`${twoShims.label}: ${twoShims.perSecond.toFixed(0)}/s`);
    } finally {
      await nginx.stop();
    }
    clearInterval(rssTimer);

    // Nothing oversold, on any tier.
    const { rows: ledgers } = await pool.query(`
      SELECT t.id, t.capacity, t.available,
             coalesce(sum(r.quantity) FILTER (WHERE r.status IN ('held', 'confirmed')), 0)::bigint AS taken
        FROM ticket_tiers t LEFT JOIN reservations r ON r.tier_id = t.id GROUP BY t.id`);
    const broken = ledgers.filter(
      (l) => Number(l.available) < 0 || Number(l.available) !== Number(l.capacity) - Number(l.taken),
    );
    const sold = ledgers.reduce((sum, l) => sum + Number(l.taken), 0);

    const rawRate = raw?.perSecond ?? Number.NaN;
    const lines = [
      `## Flash sale, ${new Date().toISOString()}`,
      '',
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, PostgreSQL on the same machine; ${SECONDS} s per run`,
      '',
      '| run | reservations/s | p50 ms | p99 ms | note |',
      '|---|---|---|---|---|',
      ...results.map(
        (r) =>
          `| ${r.label} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.note ?? ''} |`,
      ),
      '',
      ...targets(hotHttp, rawRate, usual.perSecond, peakRss),
      `- 100 concerts at once: ${spread.perSecond.toFixed(0)}/s, below the hot tier: every concert that changes costs one snapshot read per coalescing window (up to 100 reads per 150 ms here) on top of the holds, and the batches are smaller`,
      `- oversell check over ${ledgers.length} tiers, ${sold} tickets taken: ${broken.length === 0 ? '**none oversold**, every ledger adds up' : `**${broken.length} tiers broken**`}`,
      '- fan-out: see `npm run bench:fanout` (bench/fanout-results.md)',
      '',
    ];
    console.log(lines.join('\n'));
    await writeFile('bench/results.md', `${lines.join('\n')}\n`, { flag: 'a' });
  } finally {
    await pool.end();
    for (const shim of shims) shim.child.kill('SIGTERM');
    await Promise.all(shims.map((s) => s.exited));
    await database.drop();
    await dropRedisPrefix(prefix);
  }
}

/** Each target of the issue, met or missed by how much, and what limits it when missed. */
function targets(hot: Figures, raw: number, usual: number, rss: number): string[] {
  const line = (name: string, value: string, met: boolean, miss: string) =>
    `- ${name}: **${value}** — ${met ? 'met' : `MISSED ${miss}`}`;
  return [
    line(
      'hot tier 3a/1 ≥ 1.0',
      (hot.perSecond / raw).toFixed(2),
      hot.perSecond >= raw,
      `by ${(1 - hot.perSecond / raw).toFixed(2)}`,
    ),
    line(
      `p99 ≤ 100 ms at ${CONNECTIONS} clients`,
      `${hot.p99} ms`,
      hot.p99 <= 100,
      `by ${hot.p99 - 100} ms: ${CONNECTIONS} clients in a closed loop queue for 1/throughput each (Little's law: ${((CONNECTIONS / hot.perSecond) * 1000).toFixed(0)} ms mean); on 2 cores PostgreSQL, the shim and the load generator share the CPU, so p99 ≤ 100 ms needs about ${Math.ceil(CONNECTIONS / 0.06)} holds/s`,
    ),
    line(
      '3a/2 ≥ 2.0',
      (hot.perSecond / usual).toFixed(2),
      hot.perSecond / usual >= 2,
      `by ${(2 - hot.perSecond / usual).toFixed(2)}`,
    ),
    line('shim RSS < 250 MB', `${rss.toFixed(0)} MB`, rss < 250, `by ${(rss - 250).toFixed(0)} MB`),
  ];
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

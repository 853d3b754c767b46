/**
 * Flash-sale rows of `npm run bench` (issues 7 and 19), against one PostgreSQL in one run:
 *   - the raw limit: the one-request hold statement (reserve_tickets) straight from node-postgres at the
 *     best pool size, and the service over HTTP on one hot tier (one shim), each `repeats` times
 *     alternately; the median of the ratios;
 *   - 100 concerts at once ÷ hot tier;
 *   - open-loop latency at 70 % of the measured hot-tier capacity (fixed arrival rate);
 *   - two shims behind nginx ÷ one shim direct, hot tier;
 *   - the admin feed during the hot-tier runs: messages per second per admin, and whether every hold
 *     was announced (one `new-reservation` each, or counted in an aggregated `reservations` event);
 *   - an oversell check over every tier;
 *   - under every missed row, where its phase's time went: CPU of the load generator, the shims and the rest
 *     (bench/diagnostics.ts), the top statements by total time (pg_stat_statements) and, when the shims run
 *     with BENCH_SHIM_NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir>", the shims' functions with the most self
 *     time in that phase.
 * Every measured phase starts from a vacuumed `ticket_tiers`, and each raw run claims a tier of its own:
 * the one hot row otherwise carries every earlier phase's dead versions, and the raw baseline fell from
 * 2,570/s to 982/s within one run.
 * Figures only; bench/run.ts prints them and writes bench/results.md.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { startNginx } from '../test/support/nginx';
import { createTestDatabase } from '../test/support/postgres';
import { freePort, type ServiceProcess, spawnServer, waitForReady } from '../test/support/processes';
import { type RawClient, rawClient } from '../test/support/realtime-clients';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../test/support/redis';
import { ApiClient } from '../test/support/test-service';
import {
  type CpuSplit,
  cpuMeter,
  describeCpu,
  readProfiles,
  StatementStats,
  topFunctions,
  topInclusive,
} from './diagnostics';
import {
  type BenchScale,
  benchBuyers,
  bundledServer,
  closedLoop,
  type Figures,
  int,
  median,
  type OpenLoopResult,
  openLoop,
  type Row,
  SHIM_NODE_ARGS,
  watchPeakRss,
} from './support';

const CAPACITY = 1_000_000;

/** Offered rates of the open-loop sweep, as fractions of the measured hot-tier capacity (the row is at 0.7). */
const OPEN_LOOP_FRACTIONS = [0.1, 0.3, 0.5, 0.7] as const;

/** The open-loop latency target (ms, p99). */
const OPEN_LOOP_P99_MS = 50;

/** What one measured phase cost: the CPU split and the statements that took the most time. */
interface PhaseCost {
  cpu: CpuSplit;
  statements: string[];
}

/** What the flash-sale part of a run found: the rows, plus the hot-tier capacity other parts scale from. */
export interface FlashSaleReport {
  rows: Row[];
  /** Holds/s of one shim on one hot tier (median of the runs). */
  hotPerSecond: number;
  notes: string[];
}

async function http(
  label: string,
  url: string,
  tokens: string[],
  body: (i: number) => string,
  scale: BenchScale,
): Promise<Figures> {
  let i = 0;
  const result = await autocannon({
    url,
    connections: scale.connections,
    duration: scale.seconds,
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
  return {
    label,
    perSecond: result['2xx'] / scale.seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors,
  };
}

/** Counts what an admin feed receives: messages, and holds announced (one per notice or aggregated counts). */
class AdminFeedCounter {
  messages = 0;
  holdsAnnounced = 0;

  constructor(readonly client: RawClient) {
    client.socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.type === 'admin-notification' && message.event === 'new-reservation') {
        this.messages++;
        this.holdsAnnounced++;
      } else if (message.type === 'reservations') {
        this.messages++;
        for (const concert of message.concerts ?? []) this.holdsAnnounced += Number(concert.holds ?? 0);
      } else if (message.type === 'admin-notification') this.messages++;
    });
  }
}

export async function flashSale(scale: BenchScale): Promise<FlashSaleReport> {
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
    WS_CONNECTIONS_PER_ADDRESS: '0',
    LOG_LEVEL: 'warn',
    // As in the image: a bounded old generation keeps RSS in check under load.
    NODE_OPTIONS: process.env.SHIM_NODE_OPTIONS ?? '--max-old-space-size=160',
    ...admin,
  };
  const ports = [await freePort(), await freePort()];
  // The shims run as the container image runs them: the bundled server under plain node.
  const server = await bundledServer();
  const shims: ServiceProcess[] = [
    spawnServer({ ...env, PORT: String(ports[0]), INSTANCE_ID: 'shim-1' }, server, SHIM_NODE_ARGS),
  ];
  const pool = new pg.Pool({ connectionString: database.url, max: 16 });
  const stats = new StatementStats(pool);
  const feeds: AdminFeedCounter[] = [];
  const notes: string[] = [];
  let rows: Row[] = [];
  let hotRate = 0;
  /** The cost of each row's phase, by figure, for the missed rows' diagnosis. */
  const costs = new Map<string, PhaseCost>();
  try {
    await waitForReady(`http://127.0.0.1:${ports[0]}`);
    await stats.enable();
    const api = new ApiClient(`http://127.0.0.1:${ports[0]}`);
    const adminToken = await api.login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);
    const startsAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const newConcert = (title: string) =>
      api.createConcert(
        adminToken,
        [{ name: 'Floor', priceCents: 100, capacity: CAPACITY, maxPerOrder: 1 }],
        {
          startsAt,
          title,
        },
      );
    const concerts = [];
    for (let i = 0; i < 101; i++) concerts.push(await newConcert(`Show ${i}`));
    const [hot, ...many] = concerts as [(typeof concerts)[number], ...typeof concerts];
    const hotTier = hot.tiers[0]?.id as string;
    const shimPids = () => shims.map((s) => s.child.pid);
    /**
     * One measured phase: from a vacuumed `ticket_tiers` (no dead versions of the hot row left by the phase
     * before), with this database's statement statistics reset, and its CPU split measured.
     */
    const phase = async <T>(run: () => Promise<T>): Promise<{ result: T; cost: PhaseCost }> => {
      await pool.query('VACUUM (ANALYZE) ticket_tiers');
      await stats.reset();
      const meter = await cpuMeter(shimPids());
      const result = await run();
      const cpu = await meter.stop();
      return { result, cost: { cpu, statements: await stats.top(5) } };
    };

    // Many buyers, so the per-user lock never serializes the load.
    const { users, tokens } = await benchBuyers(pool, jwtSecret, 2000);
    const holdBody = (concertId: string, tierId: string) =>
      JSON.stringify({ concertId, tierId, quantity: 1 });
    // Every hold of the hot tier ever committed (the raw runs' too: read before and after each HTTP run).
    const hotTierHolds = async () =>
      Number(
        (await pool.query('SELECT count(*)::bigint AS n FROM reservations WHERE tier_id = $1', [hotTier]))
          .rows[0]?.n,
      );
    const hotRun = (label: string) =>
      http(label, `${api.baseUrl}/api/reservations`, tokens, () => holdBody(hot.id, hotTier), scale);

    // The raw limit's best pool size, then raw and HTTP alternately (the machine's load drifts). Each raw
    // run claims a fresh tier, so it never pays for the dead row versions of the runs before it.
    let n = 0;
    const rawAt = async (size: number, seconds: number) => {
      const target = await newConcert(`Raw ${size} ${n}`);
      const [concertId, tierId] = [target.id, target.tiers[0]?.id as string];
      return closedLoop(`raw reserve_tickets, pool ${size}`, size, seconds, async () => {
        await pool.query('SELECT * FROM reserve_tickets($1::uuid, $2::uuid, $3::uuid, 1, NULL, 600, 0, 0)', [
          users[n++ % users.length],
          concertId,
          tierId,
        ]);
      });
    };
    let bestSize = 2;
    let bestRate = 0;
    for (const size of [2, 4, 8]) {
      await pool.query('VACUUM (ANALYZE) ticket_tiers');
      const figures = await rawAt(size, Math.max(2, scale.seconds / 3));
      console.log(`  ${figures.label}: ${int(figures.perSecond)}/s`);
      if (figures.perSecond > bestRate) [bestSize, bestRate] = [size, figures.perSecond];
    }
    // Warm up the shim (JIT, pools) before measuring.
    await http(
      'warm-up',
      `${api.baseUrl}/api/reservations`,
      tokens,
      () => holdBody(many[0]?.id ?? '', many[0]?.tiers[0]?.id ?? ''),
      { ...scale, seconds: Math.min(scale.seconds, 3) },
    );
    // Two organisers watch the admin feed through the hot-tier runs.
    for (let i = 0; i < 2; i++) {
      const client = await rawClient(api.baseUrl, adminToken);
      const counter = new AdminFeedCounter(client);
      client.send({ action: 'join-admin' });
      feeds.push(counter);
    }
    await adminFeedLive(api, adminToken, feeds);
    const raws: Figures[] = [];
    const hots: Figures[] = [];
    const hotCosts: PhaseCost[] = [];
    const feedRates: number[] = [];
    let heldInHotRuns = 0;
    let announcedInHotRuns = 0;
    const stopRss = watchPeakRss(shims[0]?.child.pid);
    for (let r = 0; r < scale.repeats; r++) {
      const raw = (await phase(() => rawAt(bestSize, scale.seconds))).result;
      raws.push(raw);
      const before = feeds.map((f) => ({ messages: f.messages, announced: f.holdsAnnounced }));
      const heldBefore = await hotTierHolds();
      const { result: sent, cost } = await phase(() =>
        hotRun(`hot tier, one shim, ${scale.connections} clients`),
      );
      hotCosts.push(cost);
      // Whatever was committed in the run is announced within a few coalescing windows.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      hots.push(sent);
      // Holds made = rows the run committed, not its 2xx answers: autocannon stops at the deadline with a
      // request in flight on each connection, whose hold commits (and is announced) unanswered: 2xx
      // counting showed 768 = 3 runs × 256 connections more announced than made.
      const held = (await hotTierHolds()) - heldBefore;
      heldInHotRuns += held;
      for (const [i, feed] of feeds.entries()) {
        feedRates.push((feed.messages - (before[i]?.messages ?? 0)) / scale.seconds);
        if (i === 0) announcedInHotRuns += feed.holdsAnnounced - (before[i]?.announced ?? 0);
      }
      console.log(
        `  admin feed, run ${r + 1}: ${int((feeds[0]?.holdsAnnounced ?? 0) - (before[0]?.announced ?? 0))} holds announced, ${int(held)} committed, ${int(sent.perSecond * scale.seconds)} answered 2xx`,
      );
      console.log(
        `  run ${r + 1}: raw ${int(raw.perSecond)}/s, HTTP hot tier ${int(sent.perSecond)}/s (p99 ${sent.p99} ms), ratio ${(sent.perSecond / raw.perSecond).toFixed(2)}; ${describeCpu(cost.cpu)}`,
      );
    }
    const peakRss = stopRss();
    const ratios = hots.map((h, i) => h.perSecond / (raws[i]?.perSecond ?? Number.NaN));
    hotRate = median(hots.map((h) => h.perSecond));
    const rawRate = median(raws.map((r) => r.perSecond));
    const hotRatio = median(ratios);
    const hotP99 = median(hots.map((h) => h.p99));
    const hotP50 = median(hots.map((h) => h.p50));
    const medianRun = hots.findIndex((h) => h.perSecond === hotRate);
    const hotCost = hotCosts[medianRun] ?? hotCosts[0];

    const { result: spread, cost: spreadCost } = await phase(() =>
      http(
        `100 concerts, one shim`,
        `${api.baseUrl}/api/reservations`,
        tokens,
        (i) => {
          const concert = many[i % many.length] as (typeof many)[number];
          return holdBody(concert.id, concert.tiers[0]?.id as string);
        },
        scale,
      ),
    );
    console.log(
      `  100 concerts at once: ${int(spread.perSecond)}/s (p99 ${spread.p99} ms); ${describeCpu(spreadCost.cpu)}`,
    );

    // Open loop: a fixed arrival rate at fractions of the closed-loop capacity, lowest first.
    const sweep: Array<{ fraction: number; offered: number; open: OpenLoopResult; cost: PhaseCost }> = [];
    for (const fraction of OPEN_LOOP_FRACTIONS) {
      const offered = Math.max(1, Math.round(fraction * hotRate));
      const { result: open, cost } = await phase(() =>
        openLoop({
          label: 'open loop',
          origin: api.baseUrl,
          ratePerSecond: offered,
          seconds: scale.seconds,
          maxConnections: scale.connections,
          request: (i) => ({
            path: '/api/reservations',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${tokens[i % tokens.length]}`,
            },
            body: holdBody(hot.id, hotTier),
          }),
        }),
      );
      sweep.push({ fraction, offered, open, cost });
      console.log(
        `  open loop at ${Math.round(fraction * 100)} % = ${int(offered)}/s: served ${int(open.perSecond)}/s, p50 ${open.p50.toFixed(1)} ms, p99 ${open.p99.toFixed(1)} ms; ${describeCpu(cost.cpu)}`,
      );
    }
    const atTarget = sweep[sweep.length - 1] as (typeof sweep)[number];
    const { offered, open } = atTarget;
    const withinTarget = sweep.filter((s) => s.open.p99 <= OPEN_LOOP_P99_MS).pop();

    shims.push(
      spawnServer({ ...env, PORT: String(ports[1]), INSTANCE_ID: 'shim-2' }, server, SHIM_NODE_ARGS),
    );
    await waitForReady(`http://127.0.0.1:${ports[1]}`);
    const nginx = await startNginx(
      ports.map((port) => `127.0.0.1:${port}`),
      { withoutRateLimits: true },
    );
    let twoShims: Figures;
    let twoShimsCost: PhaseCost;
    try {
      // The second shim warms up as the first did (JIT, pools, the 2,000 buyers' tokens verified once):
      // otherwise the row compares a warm shim with a cold one.
      await http(
        'warm-up through nginx',
        `${nginx.httpsUrl}/api/reservations`,
        tokens,
        () => holdBody(many[0]?.id ?? '', many[0]?.tiers[0]?.id ?? ''),
        { ...scale, seconds: Math.min(scale.seconds, 3) },
      );
      ({ result: twoShims, cost: twoShimsCost } = await phase(() =>
        http(
          `two shims behind nginx`,
          `${nginx.httpsUrl}/api/reservations`,
          tokens,
          () => holdBody(hot.id, hotTier),
          scale,
        ),
      ));
    } finally {
      await nginx.stop();
    }
    console.log(
      `  two shims behind nginx: ${int(twoShims.perSecond)}/s (p99 ${twoShims.p99} ms); ${describeCpu(twoShimsCost.cpu)}`,
    );

    // Nothing oversold, on any tier.
    const { rows: ledgers } = await pool.query(`
      SELECT t.id, t.capacity, t.available,
             coalesce(sum(r.quantity) FILTER (WHERE r.status IN ('held', 'confirmed')), 0)::bigint AS taken
        FROM ticket_tiers t LEFT JOIN reservations r ON r.tier_id = t.id GROUP BY t.id`);
    const broken = ledgers.filter(
      (l) => Number(l.available) < 0 || Number(l.available) !== Number(l.capacity) - Number(l.taken),
    );
    const sold = ledgers.reduce((sum, l) => sum + Number(l.taken), 0);
    notes.push(
      `oversell check over ${ledgers.length} tiers, ${int(sold)} tickets taken: ${broken.length === 0 ? '**none oversold**, every ledger adds up' : `**${broken.length} tiers broken**`}`,
      `hot-tier runs: raw ${raws.map((r) => int(r.perSecond)).join(', ')}/s (pool ${bestSize}, a fresh tier each, \`ticket_tiers\` vacuumed before every phase); HTTP ${hots.map((h) => int(h.perSecond)).join(', ')}/s; shim peak RSS ${peakRss.toFixed(0)} MB`,
      `open-loop sweep (fixed arrival rate, ${scale.seconds} s each): ${sweep
        .map(
          (s) =>
            `${Math.round(s.fraction * 100)} % = ${int(s.offered)}/s → p50 ${s.open.p50.toFixed(1)} ms, p99 ${s.open.p99.toFixed(1)} ms (generator ${s.cost.cpu.generator.toFixed(2)}, shim ${s.cost.cpu.shims.toFixed(2)} cores)`,
        )
        .join(
          '; ',
        )}; highest offered rate with p99 ≤ ${OPEN_LOOP_P99_MS} ms: ${withinTarget ? `${Math.round(withinTarget.fraction * 100)} % (${int(withinTarget.offered)}/s)` : 'none of them'}`,
    );
    const failures =
      [...hots, spread, twoShims].reduce((s, f) => s + (f.failed ?? 0), 0) +
      sweep.reduce((s, f) => s + (f.open.failed ?? 0), 0);
    if (failures > 0) notes.push(`${failures} non-2xx answers or errors over the HTTP runs`);

    const feedRate = Math.max(...feedRates);
    const hotFigure = 'hot tier, HTTP through one shim ÷ raw one-statement hold (median)';
    const spreadFigure = '100 concerts at once ÷ hot tier';
    const openFigure = 'latency at 70 % of hot-tier capacity, open loop';
    const nginxFigure = 'two shims behind nginx (HTTPS) ÷ one shim direct, hot tier';
    if (hotCost) costs.set(hotFigure, hotCost);
    costs.set(spreadFigure, spreadCost);
    costs.set(openFigure, atTarget.cost);
    costs.set(nginxFigure, twoShimsCost);
    rows = [
      {
        figure: hotFigure,
        baseline: `raw hold ${int(rawRate)}/s (pool ${bestSize})`,
        value: `${int(hotRate)}/s, p50 ${hotP50} ms, p99 ${hotP99} ms`,
        ratio: hotRatio.toFixed(2),
        target: '≥ 1.2',
        met: hotRatio >= 1.2,
      },
      {
        figure: spreadFigure,
        baseline: `hot tier ${int(hotRate)}/s`,
        value: `${int(spread.perSecond)}/s, p99 ${spread.p99} ms`,
        ratio: (spread.perSecond / hotRate).toFixed(2),
        target: '≥ 1.0',
        met: spread.perSecond >= hotRate,
      },
      {
        figure: openFigure,
        baseline: `hot tier ${int(hotRate)}/s → offered ${int(offered)}/s`,
        value: `served ${int(open.perSecond)}/s, p50 ${open.p50.toFixed(1)} ms, p99 ${open.p99.toFixed(1)} ms`,
        ratio: (open.perSecond / offered).toFixed(2),
        target: `p99 ≤ ${OPEN_LOOP_P99_MS} ms`,
        met: open.p99 <= OPEN_LOOP_P99_MS,
        note: `p99 ≤ ${OPEN_LOOP_P99_MS} ms up to ${withinTarget ? `${Math.round(withinTarget.fraction * 100)} % (${int(withinTarget.offered)}/s)` : `none of ${OPEN_LOOP_FRACTIONS.map((f) => `${f * 100} %`).join(', ')}`}`,
      },
      {
        figure: nginxFigure,
        baseline: `one shim ${int(hotRate)}/s`,
        value: `${int(twoShims.perSecond)}/s, p50 ${twoShims.p50} ms, p99 ${twoShims.p99} ms`,
        ratio: (twoShims.perSecond / hotRate).toFixed(2),
        target: '≥ 0.9, p99 ≤ 3 × p50',
        met: twoShims.perSecond / hotRate >= 0.9 && twoShims.p99 <= 3 * twoShims.p50,
      },
      {
        figure: 'admin feed during the hot-tier sale: messages/s per admin',
        baseline: `holds ${int(hotRate)}/s`,
        value: `${feedRate.toFixed(1)} messages/s; ${int(announcedInHotRuns)} of ${int(heldInHotRuns)} holds announced`,
        ratio: (feedRate / hotRate).toFixed(3),
        target: '≤ a few/s (≤ 5), nothing lost',
        met: feedRate <= 5 && announcedInHotRuns >= heldInHotRuns,
      },
    ];
  } finally {
    for (const feed of feeds) feed.client.close();
    await pool.end();
    for (const shim of shims) shim.child.kill('SIGTERM');
    await Promise.all(shims.map((s) => s.exited));
    await database.drop();
    await dropRedisPrefix(prefix);
  }
  notes.push(...(await diagnoseMissed(rows, costs, shims)));
  return { rows, hotPerSecond: hotRate, notes };
}

/**
 * Under each missed row: its phase's CPU split, top statements and (when the shims were profiled) the shims'
 * functions with the most self time in that phase. Read after the shims exited: `--cpu-prof` writes then.
 */
async function diagnoseMissed(
  rows: Row[],
  costs: Map<string, PhaseCost>,
  shims: ServiceProcess[],
): Promise<string[]> {
  const dir = SHIM_NODE_ARGS.find((a) => a.startsWith('--cpu-prof-dir='))?.slice('--cpu-prof-dir='.length);
  const pids = new Set(shims.map((s) => `.${s.child.pid}.`));
  const profiles = dir
    ? (await readProfiles(dir)).filter((p) => [...pids].some((pid) => p.file.includes(pid)))
    : [];
  const lines: string[] = [];
  for (const row of rows) {
    const cost = costs.get(row.figure);
    if (row.met !== false || !cost) continue;
    lines.push(
      `why \`${row.figure}\` is missed: ${describeCpu(cost.cpu)}`,
      `  top statements (pg_stat_statements, this phase): ${cost.statements.map((s) => `\n    - ${s}`).join('')}`,
      `  top shim functions by self time (--cpu-prof, this phase): ${
        profiles.length === 0
          ? 'not profiled (BENCH_SHIM_NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir>")'
          : topFunctions(profiles, cost.cpu.window, 8)
              .map((f) => `\n    - ${f}`)
              .join('')
      }`,
    );
    const paths = topInclusive(profiles, cost.cpu.window, 10);
    if (paths.length > 0)
      lines.push(
        `  top code paths of the shim's bundle, inclusive time (--cpu-prof, this phase): ${paths.map((f) => `\n    - ${f}`).join('')}`,
      );
  }
  return lines;
}

/** Waits until every admin feed hears a probe concert's `concert-created` (join-admin has no answer). */
async function adminFeedLive(api: ApiClient, adminToken: string, feeds: AdminFeedCounter[]): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = await api.createConcert(adminToken, [{ name: 'Probe', priceCents: 100, capacity: 1 }], {
      title: `Probe ${attempt}`,
    });
    const heard = await Promise.all(
      feeds.map((feed) =>
        feed.client.inbox
          .next((m) => m.type === 'admin-notification' && m.concertId === probe.id, 1_000)
          .then(
            () => true,
            () => false,
          ),
      ),
    );
    if (heard.every(Boolean)) return;
  }
  throw new Error('the admin feeds never went live');
}

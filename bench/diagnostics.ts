/**
 * Where the time of a benchmark phase went (issue 19: "where one is missed, say why, with a profile"):
 *   - CPU seconds of the load generator (this process, `process.cpuUsage`), of the shims (/proc/<pid>/stat)
 *     and of the whole machine (/proc/stat), over a phase;
 *   - the top statements of the bench database by total time (pg_stat_statements, reset per phase and for
 *     this database only, so the other databases on the server are left alone);
 *   - the shim's functions with the most self time inside a phase's window, from the `--cpu-prof` files a
 *     shim writes when it exits (BENCH_SHIM_NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir>").
 * Figures only, printed under the missed rows; nothing here asserts a time.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type pg from 'pg';

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on every Linux this runs on). */
const CLOCK_TICKS = 100;

/** Microseconds on the monotonic clock, the clock V8 stamps `--cpu-prof` samples with on Linux. */
export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/** User + system CPU seconds `pid` has used so far (fields 14 and 15 of /proc/<pid>/stat); 0 when gone. */
export async function processCpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / CLOCK_TICKS;
}

/** Busy and total CPU seconds of the whole machine so far (first line of /proc/stat). */
async function machineCpuSeconds(): Promise<{ busy: number; total: number }> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => 'cpu 0 0 0 0');
  const ticks = (stat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}

/** CPU used during one phase, in cores (CPU seconds ÷ wall seconds). */
export interface CpuSplit {
  /** The load generator: this process (autocannon or the open-loop client, and the bench itself). */
  generator: number;
  /** The shims, summed. */
  shims: number;
  /** Everything else on the machine (PostgreSQL, Redis, nginx, other people's runs). */
  rest: number;
  /** Cores of the machine that were busy, all processes. */
  machine: number;
  /** Wall seconds of the phase. */
  seconds: number;
  /** Monotonic µs window of the phase, to slice the shims' CPU profiles with. */
  window: { from: number; to: number };
}

/** Starts measuring CPU; `stop()` answers the split over the time since. */
export async function cpuMeter(
  shimPids: Array<number | undefined>,
): Promise<{ stop: () => Promise<CpuSplit> }> {
  const own = process.cpuUsage();
  const shims = await Promise.all(shimPids.map(processCpuSeconds));
  const machine = await machineCpuSeconds();
  const from = monotonicMicros();
  return {
    stop: async () => {
      const to = monotonicMicros();
      const seconds = (to - from) / 1e6;
      const used = process.cpuUsage(own);
      const generator = (used.user + used.system) / 1e6;
      const shimsNow = await Promise.all(shimPids.map(processCpuSeconds));
      const shimSeconds = shimsNow.reduce((sum, s, i) => sum + s - (shims[i] ?? 0), 0);
      const machineNow = await machineCpuSeconds();
      const busy = machineNow.busy - machine.busy;
      return {
        generator: generator / seconds,
        shims: shimSeconds / seconds,
        rest: Math.max(0, busy - generator - shimSeconds) / seconds,
        machine: busy / seconds,
        seconds,
        window: { from, to },
      };
    },
  };
}

/** `generator 0.41, shim 0.93, rest 0.60 of 2.00 busy cores` */
export const describeCpu = (cpu: CpuSplit): string =>
  `CPU in cores: generator ${cpu.generator.toFixed(2)}, shim(s) ${cpu.shims.toFixed(2)}, rest (PostgreSQL, Redis, nginx, others) ${cpu.rest.toFixed(2)}; machine busy ${cpu.machine.toFixed(2)} cores`;

/** pg_stat_statements for the bench database: created if missing, reset and read per phase. */
export class StatementStats {
  private available = false;

  constructor(private readonly pool: pg.Pool) {}

  /** Creates the extension in this database (the library is preloaded on the server); false when it cannot. */
  async enable(): Promise<boolean> {
    try {
      await this.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await this.pool.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
      this.available = true;
    } catch {
      this.available = false;
    }
    return this.available;
  }

  /** Forgets this database's statements (others' databases keep theirs). */
  async reset(): Promise<void> {
    if (!this.available) return;
    await this.pool.query(
      `SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`,
    );
  }

  /** The `limit` statements of this database with the most total execution time since the last reset. */
  async top(limit = 5): Promise<string[]> {
    if (!this.available) return ['pg_stat_statements is not available'];
    const { rows } = await this.pool.query(
      `SELECT calls, total_exec_time, mean_exec_time, rows, query
         FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT ILIKE '%pg_stat_statements%'
        ORDER BY total_exec_time DESC LIMIT $1`,
      [limit],
    );
    return rows.map(
      (r) =>
        `${Number(r.total_exec_time).toFixed(0)} ms total, ${Number(r.calls)} calls, ${Number(r.mean_exec_time).toFixed(2)} ms mean, ${Number(r.rows)} rows: \`${oneLine(String(r.query), 90)}\``,
    );
  }
}

const oneLine = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** A `.cpuprofile` (V8's format; sample times in monotonic µs) and the file it came from. */
export interface CpuProfile {
  file: string;
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The `.cpuprofile` files in `dir` (one per shim that exited), parsed. */
export async function readProfiles(dir: string): Promise<CpuProfile[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.cpuprofile'));
  return Promise.all(
    names.map(async (n) => ({
      ...(JSON.parse(await readFile(join(dir, n), 'utf8')) as CpuProfile),
      file: n,
    })),
  );
}

/**
 * The `limit` functions with the most self time in `profiles` between `from` and `to` (monotonic µs), as
 * `42.1 % name (file:line)`, percentages of the window's samples; `(idle)`, `(program)` and
 * `(garbage collector)` are V8's own buckets.
 */
export function topFunctions(
  profiles: CpuProfile[],
  window: { from: number; to: number },
  limit = 8,
): string[] {
  const self = new Map<string, number>();
  let total = 0;
  for (const profile of profiles) {
    const names = new Map(
      profile.nodes.map((node) => {
        const { functionName, url, lineNumber } = node.callFrame;
        const where = url ? ` (${basename(url)}:${lineNumber + 1})` : '';
        return [node.id, `${functionName || '(anonymous)'}${where}`];
      }),
    );
    let at = profile.startTime;
    for (const [i, id] of profile.samples.entries()) {
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      if (at < window.from || at > window.to) continue;
      const name = names.get(id) ?? '?';
      self.set(name, (self.get(name) ?? 0) + delta);
      total += delta;
    }
  }
  if (total === 0)
    return ['no profile samples in this window (set BENCH_SHIM_NODE_ARGS="--cpu-prof --cpu-prof-dir=…")'];
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, micros]) => `${((100 * micros) / total).toFixed(1)} % ${name}`);
}

/**
 * The `limit` named functions of the shim's own bundle (`server.mjs`: the service and its libraries, not
 * Node's internals) with the most inclusive time in the window (self time plus what they called), as
 * `12.3 % name (file:line)`, percentages of the window's non-idle samples: which code path the CPU went to.
 */
export function topInclusive(
  profiles: CpuProfile[],
  window: { from: number; to: number },
  limit = 8,
): string[] {
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const profile of profiles) {
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    let at = profile.startTime;
    for (const [i, id] of profile.samples.entries()) {
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      if (at < window.from || at > window.to || byId.get(id)?.functionName === '(idle)') continue;
      busy += delta;
      const seen = new Set<string>();
      for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
        const frame = byId.get(node);
        if (!frame?.url.endsWith('server.mjs') || !frame.functionName) continue;
        const name = `${frame.functionName} (${basename(frame.url)}:${frame.lineNumber + 1})`;
        if (seen.has(name)) continue;
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + delta);
      }
    }
  }
  if (busy === 0) return [];
  return [...inclusive.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, micros]) => `${((100 * micros) / busy).toFixed(1)} % ${name}`);
}

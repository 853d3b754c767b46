/**
 * Where a process's CPU time went, from the `.cpuprofile` V8 writes with `node --cpu-prof`: self time
 * per function (and per package), as shares of all sampled time. The benchmarks print it under a missed
 * row; on its own:
 *
 *   npx tsx bench/profile-summary.ts /tmp/prof-fanout/CPU.….cpuprofile [--top 25]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The parts of V8's `.cpuprofile` JSON this reads (Chrome DevTools' Profile type). */
interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds (V8's monotonic clock) of the first and last sample. */
  startTime: number;
  endTime: number;
  /** Node id sampled at each tick. */
  samples: number[];
  /** Microseconds since the previous sample, one per sample. */
  timeDeltas: number[];
}

/** One line of a summary: a function (or package) and its self time. */
export interface SelfTime {
  name: string;
  /** Milliseconds of self time. */
  ms: number;
  /** Share of the busy (not idle) sampled time, 0–100: of the process's own work, where it went. */
  percent: number;
}

export interface ProfileSummary {
  /** Sampled wall time, ms. */
  totalMs: number;
  /** Busy (not idle, not GC) share of the sampled time, 0–100. */
  busyPercent: number;
  functions: SelfTime[];
  /** Self time by package (`node_modules/<name>`), `node:` internals, or `app` for the project's code. */
  packages: SelfTime[];
}

/** Where a frame's code lives, as a short package name. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return match?.[1] ?? 'app';
}

/**
 * A part of a profile, in ms before its end (the process's exit): `{ fromMsBeforeEnd: 15_000,
 * toMsBeforeEnd: 3_000 }` keeps the samples taken between 15 s and 3 s before the process exited.
 */
export interface ProfileWindow {
  fromMsBeforeEnd: number;
  toMsBeforeEnd: number;
}

/**
 * Summarises one parsed `.cpuprofile`: self time by function and by package, largest first; with
 * `window`, only the samples taken in it (e.g. a benchmark's measured phase, not its setup).
 */
export function summariseProfile(profile: CpuProfile, top = 15, window?: ProfileWindow): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const from = window ? profile.endTime - window.fromMsBeforeEnd * 1000 : Number.NEGATIVE_INFINITY;
  const to = window ? profile.endTime - window.toMsBeforeEnd * 1000 : Number.POSITIVE_INFINITY;
  let totalUs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] ?? 0;
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from || at > to) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    totalUs += delta;
  }
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') idleUs += us;
    const file = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\//, '');
    const name = frame.url
      ? `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`
      : frame.functionName;
    functions.set(name, (functions.get(name) ?? 0) + us);
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  functions.delete('(idle)');
  packages.delete('(idle)');
  const busyUs = totalUs - idleUs;
  const lines = (entries: Map<string, number>) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: busyUs ? (100 * us) / busyUs : 0 }));
  return {
    totalMs: totalUs / 1000,
    busyPercent: totalUs ? (100 * (totalUs - idleUs)) / totalUs : 0,
    functions: lines(functions),
    packages: lines(packages),
  };
}

/** The newest `.cpuprofile` in `dir`, summarised (see summariseProfile); undefined when there is none. */
export async function summariseNewestProfile(
  dir: string,
  top = 15,
  window?: ProfileWindow,
): Promise<ProfileSummary | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
  const newest = files.sort().at(-1); // V8 names them CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile
  if (!newest) return undefined;
  return summariseProfile(JSON.parse(await readFile(join(dir, newest), 'utf8')) as CpuProfile, top, window);
}

/** The summary as indented text lines (for the console and for notes under a missed row). */
export function formatSummary(summary: ProfileSummary, top = 10): string[] {
  const pct = (line: SelfTime) => `${line.percent.toFixed(1).padStart(5)} %  ${line.name}`;
  return [
    `CPU profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${summary.busyPercent.toFixed(0)} % of it busy (not idle); % of busy time by package:`,
    ...summary.packages.slice(0, 8).map((line) => `    ${pct(line)}`),
    '  top functions by self time (% of busy time):',
    ...summary.functions.slice(0, top).map((line) => `    ${pct(line)}`),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    console.log(file);
    for (const line of formatSummary(summariseProfile(profile, top), top)) console.log(line);
  }
}

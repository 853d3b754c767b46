/**
 * Lambda bundle row of `npm run bench` (issue 19): every function is bundled as `npm run build` does
 * (into a scratch directory); the HTTP hold function's bundle (`reservations-create`) is measured for
 * size and for cold import time (a fresh `node` importing it, median of 5), and the largest inputs of its
 * bundle are listed from esbuild's metafile. Baseline: the smallest function's bundle, measured alike.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { bundleOptions } from '../stacks/lambda-bundle';
import { buildLambdas, moduleLoadMs } from '../tools/build-lambdas';
import { int, median, type Row } from './support';

const HTTP_FUNCTION = 'reservations-create';

const coldImportMs = (bundle: string) => median(Array.from({ length: 5 }, () => moduleLoadMs(bundle)));

/** Bytes per top-level input group (an npm package, or `functions/…`), largest first. */
function heaviestInputs(metafile: Metafile, output: string, top = 6): string[] {
  const inputs = metafile.outputs[output]?.inputs ?? {};
  const groups = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
    groups.set(pkg, (groups.get(pkg) ?? 0) + bytesInOutput);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => `${name} ${int(bytes / 1024)} KiB`);
}

/** Bytes of an output and of every chunk it imports statically (what a cold import compiles). */
function loadedBytes(metafile: Metafile, output: string, seen = new Set<string>()): number {
  if (seen.has(output)) return 0;
  seen.add(output);
  const entry = metafile.outputs[output];
  if (!entry) return 0;
  return entry.imports
    .filter((imported) => imported.kind === 'import-statement' && !imported.external)
    .reduce((sum, imported) => sum + loadedBytes(metafile, imported.path, seen), entry.bytes);
}

export async function bundleRow(): Promise<{ row: Row; notes: string[] }> {
  const outDir = await mkdtemp(join(tmpdir(), 'cts-bench-lambda-'));
  const sizes = await buildLambdas(outDir);
  const http = sizes.find((s) => s.name === HTTP_FUNCTION);
  const smallest = [...sizes].sort((a, b) => a.bytes - b.bytes)[0];
  const largest = [...sizes].sort((a, b) => b.bytes - a.bytes)[0];
  if (!http || !smallest || !largest) throw new Error('no bundles were built');
  const httpMs = coldImportMs(resolve(outDir, http.name, 'index.mjs'));
  const smallestMs = coldImportMs(resolve(outDir, smallest.name, 'index.mjs'));
  const metaOut = join(outDir, 'meta', 'index.mjs');
  const { metafile } = await build({
    ...bundleOptions(HTTP_FUNCTION, metaOut),
    metafile: true,
    write: false,
  });
  if (!metafile) throw new Error('esbuild answered no metafile');
  const entry = Object.keys(metafile.outputs).find((path) => path.endsWith('/index.mjs')) ?? '';
  const loaded = loadedBytes(metafile, entry);
  const total = Object.values(metafile.outputs).reduce((sum, out) => sum + out.bytes, 0);
  const kib = (bytes: number) => `${int(bytes / 1024)} KiB`;
  return {
    row: {
      figure: `HTTP Lambda bundle (${HTTP_FUNCTION}): size loaded at a cold import, and its time`,
      baseline: `smallest bundle (${smallest.name}) ${kib(smallest.bytes)}, ${smallestMs.toFixed(0)} ms`,
      value: `${kib(loaded)} (index.mjs ${kib(http.bytes)}; ${kib(total)} with the chunks loaded by configuration), ${httpMs.toFixed(0)} ms (largest index.mjs of ${sizes.length}: ${largest.name} ${kib(largest.bytes)})`,
      ratio: (loaded / smallest.bytes).toFixed(2),
      target: '≤ 600 KB, ≤ 80 ms',
      met: loaded <= 600 * 1000 && httpMs <= 80,
    },
    notes: [
      `${HTTP_FUNCTION} bundle, heaviest inputs of index.mjs (esbuild metafile): ${heaviestInputs(metafile, entry).join(', ')}`,
    ],
  };
}

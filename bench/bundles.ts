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
  const output = Object.keys(metafile?.outputs ?? {})[0] ?? '';
  const kib = (bytes: number) => `${int(bytes / 1024)} KiB`;
  return {
    row: {
      figure: `HTTP Lambda bundle (${HTTP_FUNCTION}): size and cold import time`,
      baseline: `smallest bundle (${smallest.name}) ${kib(smallest.bytes)}, ${smallestMs.toFixed(0)} ms`,
      value: `${kib(http.bytes)}, ${httpMs.toFixed(0)} ms (largest of ${sizes.length}: ${largest.name} ${kib(largest.bytes)})`,
      ratio: (http.bytes / smallest.bytes).toFixed(2),
      target: '≤ 600 KB, ≤ 80 ms',
      met: http.bytes <= 600 * 1000 && httpMs <= 80,
    },
    notes: metafile
      ? [
          `${HTTP_FUNCTION} bundle, heaviest inputs (esbuild metafile): ${heaviestInputs(metafile, output).join(', ')}`,
        ]
      : [],
  };
}

import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_FUNCTIONS } from '../functions/handlers/lambda-functions';
import {
  buildLambdaSync,
  bundleOptions,
  LAMBDA_OUT_DIR,
  NODE_BUNDLE,
  withMigrations,
} from '../stacks/lambda-bundle';

const OUT_DIR = LAMBDA_OUT_DIR;

// The bundling itself lives with the stacks (they build while they synthesize); this re-exports it.
export { buildLambdaSync, NODE_BUNDLE, withMigrations };

/**
 * One ESM bundle per Lambda (`dist/lambda/<function>/index.mjs`, and `chunks/` it loads by configuration),
 * for Node 20 so it runs here and on Lambda's nodejs22.x. The migrations travel with each bundle; PGlite (embedded mode only) stays out.
 */
export async function buildLambdas(outDir = OUT_DIR): Promise<Array<{ name: string; bytes: number }>> {
  await rm(outDir, { recursive: true, force: true });
  const sizes: Array<{ name: string; bytes: number }> = [];
  for (const name of LAMBDA_FUNCTIONS) {
    const dir = join(outDir, name);
    await build(bundleOptions(name, join(dir, 'index.mjs')));
    withMigrations(dir);
    sizes.push({ name, bytes: statSync(join(dir, 'index.mjs')).size });
  }
  return sizes;
}

/** How long a fresh Node takes to import a bundle: the module-load part of a cold start. */
export function moduleLoadMs(bundle: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(bundle)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '' },
  });
  return Number(out.toString());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await buildLambdas();
  console.log(`${'function'.padEnd(24)} ${'size'.padStart(10)} ${'load'.padStart(9)}`);
  for (const { name, bytes } of sizes) {
    const ms = moduleLoadMs(resolve(OUT_DIR, name, 'index.mjs'));
    console.log(
      `${name.padEnd(24)} ${`${(bytes / 1024).toFixed(0)} KiB`.padStart(10)} ${`${ms.toFixed(0)} ms`.padStart(9)}`,
    );
  }
}

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type BuildOptions, build, buildSync } from 'esbuild';
import { LAMBDA_FUNCTIONS } from '../functions/handlers/lambda-functions';

const OUT_DIR = 'dist/lambda';

/** What every bundle of this project shares (Lambda functions and the container's entry points). */
export const NODE_BUNDLE: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // Optional native speed-ups that ws and pg look for; absent, they fall back to JavaScript.
  // swagger-ui-dist is static files found on disk at run time (the image copies the package).
  external: ['pg-native', 'bufferutil', 'utf-8-validate', 'swagger-ui-dist'],
  // ESM output still meets CommonJS dependencies that call require().
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
};

/** esbuild options for one function's bundle. */
function bundleOptions(name: string, outfile: string): BuildOptions {
  return {
    ...NODE_BUNDLE,
    entryPoints: [`functions/handlers/${name}.ts`],
    outfile,
  };
}

export function withMigrations(dir: string): void {
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  cpSync('functions/db/migrations', join(dir, 'migrations'), { recursive: true });
}

/** One function's bundle, synchronously: the CDKTF construct builds while it synthesizes. */
export function buildLambdaSync(name: string, outDir = OUT_DIR): { dir: string; bytes: number } {
  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  buildSync(bundleOptions(name, join(dir, 'index.mjs')));
  withMigrations(dir);
  return { dir, bytes: statSync(join(dir, 'index.mjs')).size };
}

/**
 * One ESM bundle per Lambda (`dist/lambda/<function>/index.mjs`), for Node 20 so it runs here and on
 * Lambda's nodejs22.x. The migrations travel with each bundle; PGlite (embedded mode only) stays out.
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

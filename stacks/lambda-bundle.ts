import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type BuildOptions, buildSync } from 'esbuild';

// Build tooling shared by the stacks (which bundle while they synthesize) and tools/build-lambdas.ts:
// it points esbuild at a function's entry path and never imports the function itself.

/** Where `npm run build` and the stacks put the bundles: `dist/lambda/<function>/index.mjs`. */
export const LAMBDA_OUT_DIR = 'dist/lambda';

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

/** A deployed function's entry module (relative to the repository root): it exports `handler`. */
export function lambdaEntry(name: string): string {
  return `functions/handlers/${name}.ts`;
}

/**
 * esbuild options for one function's bundle: its entry written to `outfile` (`…/index.mjs`, what Lambda
 * imports), and each module the composition root loads by configuration (dynamic imports: mail, backups,
 * metrics, the database driver) in `chunks/` beside it, loaded only by the functions and configurations
 * that use it. A cold import compiles the entry alone (issue 19: compiling the whole 1.9 MB file was a
 * third of a cold import, --cpu-prof).
 */
export function bundleOptions(name: string, outfile: string): BuildOptions {
  return {
    ...NODE_BUNDLE,
    entryPoints: { index: lambdaEntry(name) },
    outdir: dirname(outfile),
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
  };
}

/** Copies functions/db/migrations into `dir/migrations` (each bundle migrates on its own). */
export function withMigrations(dir: string): void {
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  cpSync('functions/db/migrations', join(dir, 'migrations'), { recursive: true });
}

/**
 * One function's bundle, synchronously (the CDKTF construct builds while it synthesizes): `dir` is
 * `<outDir>/<name>` holding `index.mjs` and the migrations, `bytes` the size of index.mjs.
 */
export function buildLambdaSync(name: string, outDir = LAMBDA_OUT_DIR): { dir: string; bytes: number } {
  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  buildSync(bundleOptions(name, join(dir, 'index.mjs')));
  withMigrations(dir);
  return { dir, bytes: statSync(join(dir, 'index.mjs')).size };
}

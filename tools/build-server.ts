import { rm } from 'node:fs/promises';
import { type BuildOptions, build } from 'esbuild';
import { NODE_BUNDLE, withMigrations } from './build-lambdas';

const OUT_DIR = 'dist/local';

/** The container's entry points, bundled: the image runs plain `node dist/local/<entry>.mjs`, no tsx
 * (`cli.mjs` is the operator CLI: `migrate`, `seed`, `scheduled-job <name>`, …). */
export const SERVER_ENTRIES = ['server', 'cli', 'scheduler-main'] as const;

/**
 * Bundles the container's entry points into `outDir`. `overrides` change esbuild's options for a one-off
 * build (the benchmarks keep names readable in a CPU profile: `{ minify: false, minifySyntax: true }`).
 */
export async function buildServer(outDir = OUT_DIR, overrides: BuildOptions = {}): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await build({
    ...NODE_BUNDLE,
    ...overrides,
    entryPoints: SERVER_ENTRIES.map((entry) => `local/${entry}.ts`),
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
  });
  withMigrations(outDir);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildServer();
  console.log(`built ${SERVER_ENTRIES.map((e) => `${OUT_DIR}/${e}.mjs`).join(', ')}`);
}

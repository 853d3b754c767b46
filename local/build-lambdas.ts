import { cp, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { LAMBDA_FUNCTIONS } from '../functions/handlers/lambda-functions';

const OUT_DIR = 'dist/lambda';

// The embedded database is for `npm start` on a laptop; a Lambda must be given a real database.
const withoutEmbeddedDatabase: Plugin = {
  name: 'without-embedded-database',
  setup(build) {
    build.onResolve({ filter: /\/pglite-database$/ }, () => ({ path: 'pglite-database', namespace: 'stub' }));
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: `export const PgliteDatabase = { open() {
        throw new Error('No database configured: set DATABASE_URL (the embedded database is not in Lambda bundles)');
      } };`,
      loader: 'js',
    }));
  },
};

/**
 * One ESM bundle per Lambda (`dist/lambda/<function>/index.mjs`), for Node 20 so it runs here and on
 * Lambda's nodejs22.x. The migrations travel with each bundle; PGlite (embedded mode only) stays out.
 */
export async function buildLambdas(outDir = OUT_DIR): Promise<Array<{ name: string; bytes: number }>> {
  await rm(outDir, { recursive: true, force: true });
  const sizes: Array<{ name: string; bytes: number }> = [];
  for (const name of LAMBDA_FUNCTIONS) {
    const dir = join(outDir, name);
    const outfile = join(dir, 'index.mjs');
    await build({
      entryPoints: [`functions/handlers/${name}.ts`],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      minify: true,
      sourcemap: false,
      legalComments: 'none',
      external: ['pg-native'],
      plugins: [withoutEmbeddedDatabase],
      // ESM output still meets CommonJS dependencies that call require().
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'warning',
    });
    await mkdir(join(dir, 'migrations'), { recursive: true });
    await cp('functions/db/migrations', join(dir, 'migrations'), { recursive: true });
    sizes.push({ name, bytes: (await stat(outfile)).size });
  }
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await buildLambdas();
  for (const { name, bytes } of sizes)
    console.log(`${name.padEnd(24)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
}

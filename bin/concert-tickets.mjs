#!/usr/bin/env node
// `npx concert-tickets <command>`: the operator CLI (local/cli.ts).
//
// Start-up: running the TypeScript through tsx costs about 1 s for tsx itself and 3-4 s for resolving and
// evaluating a few thousand module files (the AWS SDK, ioredis, pg, zod, pino, nodemailer). So the CLI
// runs from an esbuild bundle kept in node_modules/.cache/concert-tickets-cli, split per command (each
// command imports its modules lazily), and rebuilt only when one of its source files, package-lock.json
// or this file changes (a rebuild takes a few seconds and says so). Anything wrong with the bundle, or
// CONCERT_TICKETS_CLI_NO_BUNDLE=1, runs it through tsx as before. `--version` reads package.json only.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'concert-tickets-cli');
const POINTER = join(CACHE, 'current.json');
const SELF = fileURLToPath(import.meta.url);
/** Files outside the sources whose change means the bundle must be rebuilt. */
const ALSO_WATCHED = [
  SELF,
  join(ROOT, 'package-lock.json'),
  join(ROOT, 'node_modules', '.package-lock.json'),
];

const args = process.argv.slice(2);
const version = () => JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  console.log(version());
  process.exit(0);
}

const cli =
  (await bundledCli().catch((error) => {
    console.error(
      `note: running the CLI without its bundle (${error instanceof Error ? error.message : error})`,
    );
    return undefined;
  })) ?? (await throughTsx());
await cli.runCli(process.argv, version());

async function throughTsx() {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../local/cli.ts');
}

function fingerprint(path) {
  try {
    const info = statSync(path);
    return `${info.mtimeMs}:${info.size}`;
  } catch {
    return 'absent';
  }
}

/** The bundle's entry module when it is current, else a fresh build's; undefined when told not to bundle. */
async function bundledCli() {
  if (process.env.CONCERT_TICKETS_CLI_NO_BUNDLE === '1') return undefined;
  const current = readPointer();
  if (current && Object.entries(current.inputs).every(([path, print]) => fingerprint(path) === print))
    return import(pathToFileURL(join(CACHE, current.dir, 'cli.mjs')).href);
  return import(pathToFileURL(join(CACHE, await build(), 'cli.mjs')).href);
}

function readPointer() {
  try {
    const pointer = JSON.parse(readFileSync(POINTER, 'utf8'));
    return existsSync(join(CACHE, pointer.dir, 'cli.mjs')) ? pointer : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the bundle into a new folder and points current.json at it (atomically: rename). */
async function build() {
  console.error('building the CLI bundle (once after a change to its sources) …');
  const { build: esbuild } = await import('esbuild');
  mkdirSync(CACHE, { recursive: true });
  const dir = `build-${Date.now()}-${process.pid}`;
  const outdir = join(CACHE, dir);
  const before = Object.fromEntries(ALSO_WATCHED.map((path) => [path, fingerprint(path)]));
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: { cli: 'local/cli.ts', 'pglite-database': 'functions/adapters/postgres/pglite-database.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    metafile: true,
    logLevel: 'silent',
    // PGlite finds its WebAssembly next to its own files: it stays in node_modules. The rest as the
    // Lambda bundles have it (optional native speed-ups; static files found on disk).
    external: ['@electric-sql/pglite', 'pg-native', 'bufferutil', 'utf-8-validate', 'swagger-ui-dist'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    plugins: [embeddedDatabaseNextToTheBundle()],
  });
  // migrate.ts reads ./migrations/ next to itself: the sources' own folder, so new files count at once.
  symlinkSync(join(ROOT, 'functions', 'db', 'migrations'), join(outdir, 'migrations'), 'dir');
  const inputs = { ...before };
  for (const path of Object.keys(result.metafile.inputs))
    if (!path.startsWith('node_modules/')) inputs[join(ROOT, path)] = fingerprint(join(ROOT, path));
  const temporary = `${POINTER}.${process.pid}`;
  writeFileSync(temporary, JSON.stringify({ dir, inputs }));
  renameSync(temporary, POINTER);
  removeOldBuilds(dir);
  return dir;
}

/**
 * openDatabase (functions/composition/database.ts) imports the PGlite adapter by a relative specifier held in a variable (so Lambda bundles
 * never carry it): in this bundle that adapter is the `pglite-database.mjs` entry next to the chunks.
 */
function embeddedDatabaseNextToTheBundle() {
  return {
    name: 'embedded-database-next-to-the-bundle',
    setup(build) {
      build.onLoad({ filter: /functions[\\/]composition[\\/]database\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const specifier = /(=\s*)'\.\.\/adapters\/(?:[a-z-]+\/)?pglite-database'/;
        if (!specifier.test(source))
          throw new Error(
            'composition/database.ts no longer names the PGlite adapter: cannot bundle the CLI',
          );
        return { contents: source.replace(specifier, "$1'./pglite-database.mjs'"), loader: 'ts' };
      });
    },
  };
}

/** Builds other than `keep` older than an hour (a process still running from one has long loaded it). */
function removeOldBuilds(keep) {
  for (const name of readdirSync(CACHE)) {
    if (!name.startsWith('build-') || name === keep) continue;
    const path = join(CACHE, name);
    if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
  }
}

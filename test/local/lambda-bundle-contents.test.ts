import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleOptions } from '../../stacks/lambda-bundle';

// Issue 19: every Lambda bundle carried every adapter the composition root might use, and a cold import
// compiled all of it. Adapters are now imported by configuration, into chunks of their own: what a cold
// import of the hold function loads (its entry and the chunks it imports statically) leaves them out.

/** The inputs of an output and of every chunk it imports statically. */
function staticInputs(metafile: Metafile, output: string, seen = new Set<string>()): string[] {
  if (seen.has(output)) return [];
  seen.add(output);
  const entry = metafile.outputs[output];
  if (!entry) return [];
  return [
    ...Object.keys(entry.inputs),
    ...entry.imports
      .filter((imported) => imported.kind === 'import-statement' && !imported.external)
      .flatMap((imported) => staticInputs(metafile, imported.path, seen)),
  ];
}

describe('the hold function’s Lambda bundle', () => {
  it('loads no mail, backup, Prometheus, Data API, Secrets Manager, management-API, Redis or PostgreSQL client module at a cold import', async () => {
    const { metafile } = await build({
      ...bundleOptions('reservations-create', join('dist', 'test-bundle', 'index.mjs')),
      metafile: true,
      write: false,
    });
    const entry = Object.keys(metafile?.outputs ?? {}).find((path) => path.endsWith('/index.mjs')) ?? '';
    const loaded = staticInputs(metafile as Metafile, entry);
    expect(loaded.some((input) => input.includes('functions/handlers/reservations-create'))).toBe(true);
    for (const lazy of [
      'node_modules/nodemailer/',
      'node_modules/@aws-sdk/client-ses/',
      'node_modules/@aws-sdk/client-backup/',
      'node_modules/@aws-sdk/client-apigatewaymanagementapi/',
      'node_modules/@aws-sdk/client-rds-data/',
      'node_modules/@aws-sdk/client-secrets-manager/',
      'node_modules/prom-client/',
      // ioredis: only a configuration with REDIS_URL loads it (functions/composition/redis-client.ts).
      'node_modules/ioredis/',
      'node_modules/@ioredis/commands/',
      // node-postgres: only DATABASE_URL loads it (the start-up probe and the driver); AWS uses the Data API.
      'node_modules/pg/',
      'node_modules/pg-protocol/',
    ]) {
      expect(loaded.filter((input) => input.includes(lazy))).toEqual([]);
    }
    // They are still in the bundle, loaded when the configuration asks for them.
    const all = Object.values(metafile?.outputs ?? {}).flatMap((out) => Object.keys(out.inputs));
    expect(all.some((input) => input.includes('node_modules/@aws-sdk/client-rds-data/'))).toBe(true);
    expect(all.some((input) => input.includes('node_modules/ioredis/'))).toBe(true);
  });

  it('carries only the zod and rate-limiter-flexible modules it uses (no locale but English, no other store)', async () => {
    const { metafile } = await build({
      ...bundleOptions('reservations-create', join('dist', 'test-bundle', 'index.mjs')),
      metafile: true,
      write: false,
    });
    const all = Object.values(metafile?.outputs ?? {}).flatMap((out) => Object.keys(out.inputs));
    // `import { z } from 'zod'` kept zod's whole namespace object: every locale, 443 KiB (issue 19).
    const locales = all.filter((input) => /node_modules\/zod\/v4\/locales\/(?!en\.js|index\.js)/.test(input));
    expect(locales).toEqual([]);
    expect(all.some((input) => input.includes('node_modules/zod/v4/locales/en.js'))).toBe(true);
    // The package's entry requires every store it supports; the throttles load their three classes by path.
    const stores = all.filter((input) =>
      /node_modules\/rate-limiter-flexible\/(index\.js|lib\/RateLimiter(Mongo|MySQL|Postgres|Dynamo|Prisma|Etcd))/.test(
        input,
      ),
    );
    expect(stores).toEqual([]);
    expect(all.some((input) => input.includes('rate-limiter-flexible/lib/RateLimiterRedis.js'))).toBe(true);
  });
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll gives up after 1 s by default: too short for a browser round trip on a busy CI machine.
    expect: { poll: { timeout: 15_000 } },
    // Every file makes its own database and Redis prefix, so files run in parallel.
    fileParallelism: true,
    // Vitest's default on 2 cores is one worker (cores − 1): the files ran one after another (1,012 s).
    // Most of them wait on servers, browsers and databases, so two at a time fit on 2 cores.
    maxWorkers: 2,
    // The bundles that tests build (Lambda functions, the container server) load as Node loads them in
    // production: natively, not through Vite's transform (which took ~40 s for the 1.7 MB Lambda bundles).
    server: { deps: { external: [/\/cts-(events|lambda|server-bundle)-[^/]+\//] } },
  },
});

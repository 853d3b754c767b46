import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

/**
 * The functions/ modules the stacks may load: plain data (names, the route table and its zod schemas,
 * the schedule, metric names) and the pure core they need. Nothing that opens a connection or logs.
 */
const PURE_DATA = [
  'functions/config/metric-names.ts',
  'functions/core/concert-limits.ts',
  'functions/core/email-address.ts',
  'functions/core/errors.ts',
  'functions/core/relay-skip-reasons.ts',
  'functions/core/schedule.ts',
  'functions/handlers/http/error-response.ts',
  'functions/handlers/http/response-schemas.ts',
  'functions/handlers/http/route-table.ts',
  'functions/handlers/http/schemas.ts',
  'functions/handlers/lambda-functions.ts',
  'functions/handlers/websocket/client-actions.ts',
  'functions/ports/connection-pusher.port.ts',
];
/** Runtime packages: the service's I/O and logging. Synth has no use for any of them. */
const RUNTIME_PACKAGE =
  /\/node_modules\/(ioredis|pg|pg-[\w-]+|@aws-sdk\/[\w-]+|@smithy\/[\w-]+|pino|express|socket\.io|nodemailer|@aws-lambda-powertools\/[\w-]+|@electric-sql\/pglite|jose|prom-client)\//;

describe('cdktf synth loads no runtime code', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the stacks entry point loads the stacks, cdktf and plain data: no handler, adapter, composition root, local/ file or I/O package', async () => {
    // No stack imports a module at run time (`import(`): every module synth loads is loaded by the time
    // main.ts checks its settings, so refusing for missing settings loads the same set as a full synth.
    for (const file of await readdir(join(root, 'stacks'))) {
      if (file.endsWith('.ts'))
        expect(await readFile(join(root, 'stacks', file), 'utf8')).not.toMatch(/\bimport\(/);
    }
    dir = await mkdtemp(join(tmpdir(), 'cts-synth-imports-'));
    const log = join(dir, 'modules.log');
    const failure = await run(
      process.execPath,
      ['--import', 'tsx', '--import', './test/stacks/support/record-modules.mjs', 'stacks/main.ts'],
      { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: dir, CTS_MODULE_LOG: log }, timeout: 60_000 },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    // Refused for want of EMAIL_FROM: after every static import of the stacks has loaded.
    expect(failure?.stderr).toMatch(/concert-tickets-dev: set EMAIL_FROM/);
    const loaded = [...new Set((await readFile(log, 'utf8')).split('\n').filter(Boolean))].map((url) =>
      decodeURIComponent(url.replace(/^file:\/\//, '')),
    );
    const ours = loaded
      .filter((path) => !path.includes('/node_modules/'))
      .map((path) => path.slice(root.length + 1));
    // The recorder saw the stacks and cdktf (so an empty list below means something).
    expect(ours).toEqual(
      expect.arrayContaining(['stacks/main.ts', 'stacks/service-stack.ts', 'stacks/functions.ts']),
    );
    expect(loaded.some((path) => /\/node_modules\/cdktf\/lib\//.test(path))).toBe(true);

    const runtime = ours.filter(
      (path) =>
        /^(local|bin|web)\//.test(path) ||
        /^functions\/(adapters|composition|db)\//.test(path) ||
        (/^functions\//.test(path) && !PURE_DATA.includes(path)),
    );
    expect(runtime).toEqual([]);
    expect(loaded.filter((path) => RUNTIME_PACKAGE.test(path))).toEqual([]);
  }, 90_000);
});

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smoke } from '../../bin/smoke';
import { startTestService, TEST_ADMIN, type TestService } from '../support/test-service';

const run = promisify(execFile);

// The post-deploy smoke test, run here against the shim so it is known to work before anyone points it
// at AWS (same HTTP contract, same WebSocket messages at /ws).
describe('npm run smoke', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service?.close();
  });

  it('registers, watches, reserves, sees the update arrive and confirms against the shim', async () => {
    const lines: string[] = [];
    const report = await smoke({
      apiUrl: service.service.url,
      wssUrl: `${service.service.url.replace(/^http/, 'ws')}/ws`,
      admin: TEST_ADMIN,
      log: (line) => lines.push(line),
    });
    expect(report.tickets).toBe(1);
    expect(report.available[1]).toBe(report.available[0] - 1);
    expect(lines.at(-1)).toMatch(/^ok {3}smoke test passed/);
  });

  it('fails on the step that breaks, with one line, when the WebSocket URL is wrong', async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const failure = await run('npx', ['tsx', 'bin/smoke.ts', service.service.url, 'ws://127.0.0.1:9/ws'], {
      env: { ...process.env, SMOKE_ADMIN_EMAIL: TEST_ADMIN.email, SMOKE_ADMIN_PASSWORD: TEST_ADMIN.password },
      timeout: 60_000,
    }).then(
      () => undefined,
      (error: { code: number; stderr: string; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toMatch(/^ok {3}health/m);
    expect(failure?.stderr.trim()).toMatch(/^FAIL watch: /);
  }, 60_000);
});

describe('npm run deploy:check', () => {
  it('runs synth, the synth assertions, terraform validate when present, and the smoke test', async () => {
    const { scripts } = JSON.parse(await readFile('package.json', 'utf8'));
    expect(scripts.smoke).toBe('tsx bin/smoke.ts');
    expect(scripts['deploy:check']).toBe('tsx bin/deploy-check.ts');
    const source = await readFile('bin/deploy-check.ts', 'utf8');
    for (const command of ["'run', 'synth'", "'test/stacks', 'test/deploy'", "'validate'", "'bin/smoke.ts'"])
      expect(source).toContain(command);
  });
});

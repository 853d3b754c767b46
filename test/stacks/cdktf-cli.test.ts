import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

const base = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  CHECKPOINT_DISABLE: '1',
  CI: '1',
};
// What a real deploy of both environments is given (values only need the right shape offline).
const deploy = {
  EMAIL_FROM: 'tickets@tickets.example-shop.io',
  TF_STATE_BUCKET: 'cts-terraform-state',
  CERTIFICATE_ARN: 'arn:aws:acm:ap-southeast-1:123456789012:certificate/abc',
};

describe('npm run synth (cdktf synth)', () => {
  it('synthesizes both environments offline, without a terraform binary or AWS credentials', async () => {
    await rm('cdktf.out', { recursive: true, force: true });
    // The CLI is in the infrastructure's own install (npm ci --prefix stacks); `npm run synth` runs it.
    await run('npm', ['run', 'synth'], {
      env: { ...base, ...deploy },
      timeout: 170_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    for (const stack of ['concert-tickets-dev', 'concert-tickets-prod']) {
      const json = JSON.parse(await readFile(`cdktf.out/stacks/${stack}/cdk.tf.json`, 'utf8'));
      expect(Object.keys(json.resource.aws_lambda_function ?? {}).length).toBeGreaterThan(20);
      expect(json.provider.aws[0].region).toBe('ap-southeast-1');
    }
    const prod = JSON.parse(await readFile('cdktf.out/stacks/concert-tickets-prod/cdk.tf.json', 'utf8'));
    expect(prod.terraform.backend.s3).toMatchObject({ bucket: 'cts-terraform-state' });
  }, 180_000);

  it('refuses, one line per missing setting, to synthesize prod without state bucket and certificate or either without EMAIL_FROM', async () => {
    const failure = await run('npx', ['tsx', 'stacks/main.ts'], { env: base, timeout: 60_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    const lines = failure?.stderr.trim().split('\n') ?? [];
    expect(lines).toEqual([
      expect.stringMatching(/^concert-tickets-dev: set EMAIL_FROM/),
      expect.stringMatching(/^concert-tickets-prod: set EMAIL_FROM/),
      expect.stringMatching(/^concert-tickets-prod: set TF_STATE_BUCKET/),
      expect.stringMatching(/^concert-tickets-prod: set CERTIFICATE_ARN/),
    ]);
    const devOnly = await run('npx', ['tsx', 'stacks/main.ts'], {
      env: { ...base, EMAIL_FROM: 'tickets@example.com', CTS_ENVIRONMENTS: 'dev' },
      timeout: 60_000,
    }).then(
      () => undefined,
      (error: { stderr: string }) => error,
    );
    expect(devOnly?.stderr.trim()).toMatch(
      /^concert-tickets-dev: EMAIL_FROM "tickets@example.com" can never be verified/,
    );
  }, 150_000);
});

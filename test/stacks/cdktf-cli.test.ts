import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npx cdktf synth', () => {
  it('synthesizes both environments offline, without a terraform binary or AWS credentials', async () => {
    await rm('cdktf.out', { recursive: true, force: true });
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      CHECKPOINT_DISABLE: '1',
      CI: '1',
    };
    await run('npx', ['cdktf', 'synth'], { env, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 });
    for (const stack of ['concert-tickets-dev', 'concert-tickets-prod']) {
      const json = JSON.parse(await readFile(`cdktf.out/stacks/${stack}/cdk.tf.json`, 'utf8'));
      expect(Object.keys(json.resource.aws_lambda_function ?? {}).length).toBeGreaterThan(20);
      expect(json.provider.aws[0].region).toBe('ap-southeast-1');
    }
  }, 180_000);
});

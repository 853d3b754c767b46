import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * `npm run deploy:check [-- <api-url> <wss-url>]`: what proves a deploy before and after it runs.
 * 1. `cdktf synth` with this shell's settings (it refuses, one line each, what a deploy must not lack);
 * 2. the synth assertions and the manifest checks (vitest: test/stacks, test/deploy);
 * 3. `terraform init -backend=false` and `terraform validate` per stack, when `terraform` is on PATH
 *    (init downloads the AWS provider);
 * 4. with the two URLs (the deploy's `api_url` and `websocket_url` outputs): the smoke test.
 * Stops at the first failing step with its exit code.
 */
function step(name: string, command: string, args: string[], cwd = process.cwd()): void {
  console.log(`\n== ${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: process.env });
  if (result.status !== 0) {
    console.error(`deploy:check failed at "${name}" (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

const onPath = (binary: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, binary)));

// The CDKTF CLI is the infrastructure's own install (stacks/package.json): `npm run synth` finds it there.
step('synth', 'npm', ['run', 'synth']);
step('synth assertions and manifests', 'npx', ['vitest', 'run', 'test/stacks', 'test/deploy']);
if (onPath('terraform')) {
  for (const stack of readdirSync('cdktf.out/stacks')) {
    const dir = join('cdktf.out/stacks', stack);
    step(`terraform init ${stack}`, 'terraform', ['init', '-backend=false', '-input=false'], dir);
    step(`terraform validate ${stack}`, 'terraform', ['validate'], dir);
  }
} else {
  console.log('\n== terraform validate: skipped (no terraform on PATH)');
}
const [apiUrl, wssUrl] = process.argv.slice(2);
if (apiUrl && wssUrl) step('smoke', 'npx', ['tsx', 'bin/smoke.ts', apiUrl, wssUrl]);
else console.log('\n== smoke: skipped (give the api_url and websocket_url outputs to run it)');

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, fetch as undiciFetch } from 'undici';
import { renderNginxConfig } from '../../tools/deploy-config';
import { freePort } from './processes';
import { ApiClient } from './test-service';

const run = promisify(execFile);

export interface TestNginx {
  httpUrl: string;
  httpsUrl: string;
  configPath: string;
  prefix: string;
  test(): Promise<string>;
  stop(): Promise<void>;
}

/** Debian's nginx, from the project's template, on free unprivileged ports, in front of `backends`. */
export async function startNginx(
  backends: string[],
  limits: { apiRate?: string; loginRate?: string; withoutRateLimits?: boolean } = {},
): Promise<TestNginx> {
  const prefix = await mkdtemp(join(tmpdir(), 'cts-nginx-'));
  await Promise.all(['logs', 'run'].map((dir) => mkdir(join(prefix, dir))));
  await run('bash', ['nginx/make-dev-cert.sh', join(prefix, 'certs')]);
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const configPath = join(prefix, 'nginx.conf');
  const legacyHttp2Listen = !(await nginxAtLeast(1, 25, 1));
  await writeFile(
    configPath,
    renderNginxConfig({
      httpPort,
      httpsPort,
      backends,
      tlsCert: join(prefix, 'certs/dev.crt'),
      tlsKey: join(prefix, 'certs/dev.key'),
      runtimeDir: join(prefix, 'run'),
      logDir: join(prefix, 'logs'),
      legacyHttp2Listen,
      ...limits,
    }),
  );
  const test = async () => {
    const { stderr } = await run('nginx', [
      '-t',
      '-p',
      prefix,
      '-c',
      configPath,
      '-e',
      join(prefix, 'logs/error.log'),
    ]);
    return stderr;
  };
  await test();
  const child: ChildProcess = spawn(
    'nginx',
    ['-p', prefix, '-c', configPath, '-e', join(prefix, 'logs/error.log'), '-g', 'daemon off;'],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const httpsUrl = `https://127.0.0.1:${httpsPort}`;
  let answered = false;
  for (let i = 0; i < 100 && !answered; i++) {
    try {
      await fetch(`http://127.0.0.1:${httpPort}/`, { redirect: 'manual' });
      answered = true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  if (!answered) throw new Error(`nginx did not answer on port ${httpPort} within 5 s`);
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    httpsUrl,
    configPath,
    prefix,
    test,
    stop: async () => {
      child.kill('SIGQUIT');
      await exited;
    },
  };
}

/**
 * A client with its own source address on loopback (127.0.0.x), trusting the test certificate: nginx
 * rate-limits per client address, so each simulated person gets one.
 */
export function clientFrom(address: string, baseUrl: string): ApiClient {
  const dispatcher = new Agent({ localAddress: address, connect: { rejectUnauthorized: false } });
  return new ApiClient(
    baseUrl,
    (url, init) => undiciFetch(url, { ...(init as object), dispatcher }) as unknown as Promise<Response>,
  );
}

/** Whether the nginx on PATH is at least `major.minor.patch` (`http2 on;` came in 1.25.1; Debian 12 ships 1.22). */
async function nginxAtLeast(major: number, minor: number, patch: number): Promise<boolean> {
  const { stderr } = await run('nginx', ['-v']);
  const [a = 0, b = 0, c = 0] = (/nginx\/(\d+)\.(\d+)\.(\d+)/.exec(stderr) ?? []).slice(1).map(Number);
  return a !== major ? a > major : b !== minor ? b > minor : c >= patch;
}

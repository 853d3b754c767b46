/**
 * Load-balancer benchmark (issue 6): requests per second and p99 through Debian's nginx with one and
 * with two backends, on the read path (GET a concert) and the reservation path (POST a hold), and the
 * ratio two/one. nginx runs the project's config with the per-client rate limits raised (one load
 * generator is one client). Figures only, printed and appended to bench/nginx-results.md.
 *
 *   npm run bench:nginx -- [--seconds 10] [--connections 50]
 */
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startNginx } from '../test/support/nginx';
import { createTestDatabase } from '../test/support/postgres';
import { freePort, replicaEnv, spawnServer, waitForReady } from '../test/support/processes';
import { dropRedisPrefix, testRedisPrefix } from '../test/support/redis';
import { ApiClient } from '../test/support/test-service';

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

async function measure(
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
) {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    ...init,
    tlsOptions: { rejectUnauthorized: false },
  } as never);
  const errors = result.non2xx + result.errors;
  return { rps: result.requests.average, p99: result.latency.p99, errors };
}

async function main(): Promise<void> {
  const database = await createTestDatabase();
  const prefix = testRedisPrefix();
  const admin = { ADMIN_EMAIL: 'bench@example.test', ADMIN_PASSWORD: 'bench-password' };
  const env = replicaEnv(database.url, prefix, {
    TICKETS_PER_USER_LIMIT: '0',
    HOLDS_PER_USER_LIMIT: '0',
    LOG_LEVEL: 'warn',
    ...admin,
  });
  const ports = [await freePort(), await freePort()];
  const backends = ports.map((port, i) =>
    spawnServer({ ...env, PORT: String(port), INSTANCE_ID: `backend-${i + 1}` }),
  );
  const rows: string[] = [];
  try {
    await Promise.all(ports.map((port) => waitForReady(`http://127.0.0.1:${port}`)));
    const direct = new ApiClient(`http://127.0.0.1:${ports[0]}`);
    const token = await direct.login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);
    const concert = await direct.createConcert(token, [
      { name: 'Floor', priceCents: 100, capacity: 1_000_000, maxPerOrder: 1 },
    ]);
    const fan = await direct.register('bench-fan@example.test');
    type Figures = { rps: number; p99: number; errors: number };
    const results: Record<'read' | 'reserve', Record<number, Figures>> = { read: {}, reserve: {} };
    for (const count of [1, 2]) {
      const nginx = await startNginx(
        ports.slice(0, count).map((port) => `127.0.0.1:${port}`),
        { withoutRateLimits: true },
      );
      try {
        if (process.env.BENCH_KEEP_NGINX_LOGS) console.log(`nginx logs in ${nginx.prefix}/logs`);
        process.stdout.write(`${count} backend(s): read path… `);
        results.read[count] = await measure(`${nginx.httpsUrl}/api/concerts/${concert.id}`, {
          method: 'GET',
        });
        process.stdout.write('reservation path… ');
        results.reserve[count] = await measure(`${nginx.httpsUrl}/api/reservations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${fan}`, 'content-type': 'application/json' },
          body: JSON.stringify({ concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 }),
        });
        console.log('done');
      } finally {
        await nginx.stop();
      }
    }
    rows.push(
      `## nginx, ${new Date().toISOString()}`,
      '',
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ${connections} connections, ${seconds} s per run, HTTPS through nginx`,
      '',
      '| path | backends | requests/s | p99 ms | non-2xx or errors |',
      '|---|---|---|---|---|',
    );
    for (const path of ['read', 'reserve'] as const) {
      for (const count of [1, 2]) {
        const r = results[path][count];
        if (r)
          rows.push(
            `| ${path === 'read' ? 'GET concert' : 'POST reservation'} | ${count} | ${r.rps.toFixed(0)} | ${r.p99} | ${r.errors} |`,
          );
      }
      const ratio = (results[path][2]?.rps ?? 0) / (results[path][1]?.rps ?? 1);
      rows.push(
        `| ${path === 'read' ? 'GET concert' : 'POST reservation'} | two/one | ${ratio.toFixed(2)}× | | |`,
      );
    }
    rows.push('');
    console.log(rows.join('\n'));
    await writeFile('bench/nginx-results.md', `${rows.join('\n')}\n`, { flag: 'a' });
  } finally {
    for (const backend of backends) backend.child.kill('SIGTERM');
    await Promise.all(backends.map((b) => b.exited));
    await database.drop();
    await dropRedisPrefix(prefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

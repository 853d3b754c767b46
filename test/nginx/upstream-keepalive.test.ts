import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNginx, type TestNginx } from '../support/nginx';

// Issue 19: two shims behind nginx answered at 0.83 of one shim direct, p99 7 × p50. The hold batches
// answer their members together, so the backends' answers come in bursts; nginx kept only 32 idle
// connections per worker to the backends and closed the rest of each burst's, so every next burst opened
// new TCP connections to the shims. Each worker keeps as many idle connections as it uses.
describe('nginx keeps its connections to the backends across bursts of answers', () => {
  const BURST = 100;
  let backend: Server;
  let nginx: TestNginx;
  let connections = 0;
  let waiting: ServerResponse[] = [];

  beforeAll(async () => {
    // A backend that answers a burst's requests together, once all of them arrived (as a hold batch does).
    backend = createServer((_req: IncomingMessage, res: ServerResponse) => {
      waiting.push(res);
      if (waiting.length < BURST) return;
      const answered = waiting;
      waiting = [];
      for (const r of answered) r.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    backend.keepAliveTimeout = 65_000;
    backend.on('connection', () => {
      connections++;
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const { port } = backend.address() as AddressInfo;
    nginx = await startNginx([`127.0.0.1:${port}`], { withoutRateLimits: true });
  });
  afterAll(async () => {
    await nginx?.stop();
    backend?.closeAllConnections();
    await new Promise((resolve) => backend?.close(resolve));
  });

  it(`three bursts of ${BURST} concurrent requests reuse the first burst's backend connections`, async () => {
    const client = new Pool(nginx.httpsUrl, { connections: BURST, connect: { rejectUnauthorized: false } });
    try {
      const burst = () =>
        Promise.all(
          Array.from({ length: BURST }, async () => {
            const response = await client.request({ path: '/api/concerts', method: 'GET' });
            await response.body.text();
            return response.statusCode;
          }),
        );
      expect(await burst()).toEqual(Array(BURST).fill(200));
      const afterFirst = connections;
      expect(afterFirst).toBeGreaterThanOrEqual(BURST);
      await burst();
      await burst();
      // Before: each worker kept 32 of its share and reconnected the rest, burst after burst.
      expect(connections - afterFirst).toBeLessThanOrEqual(BURST / 10);
    } finally {
      await client.close();
    }
  });
});

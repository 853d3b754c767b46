import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../functions/handlers/http/error-response';
import { clientAddressOf } from '../../local/shim/client-address';
import { capturingLogger } from '../support/log-capture';
import { startTestService, type TestService } from '../support/test-service';

/** One request written by hand on a fresh socket (fetch always sends Host); the whole answer as text. */
async function rawHttp(port: number, request: string | Buffer, keepOpenMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(request);
    if (keepOpenMs === undefined) socket.end();
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1]);

describe('the HTTP edge: every input answers 4xx, never 500, and is logged and counted', () => {
  let t: TestService;
  const logs = capturingLogger('info');

  beforeAll(async () => {
    t = await startTestService({}, { logger: logs.logger, requestTimeoutMs: 1_500 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const snapshot = async () =>
    JSON.stringify(
      await t.service.services.db.query(
        `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM concerts) AS concerts,
                (SELECT count(*) FROM reservations) AS reservations`,
      ),
    );

  it('refuses a NUL character in any string of any body or query with 400, the database unchanged', async () => {
    const admin = await t.api.adminToken();
    const before = await snapshot();
    const cases: Array<[string, string, string | undefined, unknown]> = [
      [
        'POST',
        '/api/auth/register',
        undefined,
        { email: 'nul@example.test', password: 'password-1', name: 'a\u0000b' },
      ],
      [
        'POST',
        '/api/auth/register',
        undefined,
        { email: 'n\u0000ul@example.test', password: 'password-1', name: 'x' },
      ],
      [
        'POST',
        '/api/auth/register',
        undefined,
        { email: 'nul2@example.test', password: 'pass\u0000word-1', name: 'x' },
      ],
      ['POST', '/api/auth/login', undefined, { email: 'a\u0000@example.test', password: 'whatever-1' }],
      [
        'POST',
        '/api/concerts',
        admin,
        {
          title: 'T\u0000',
          artist: 'A',
          venue: 'V',
          startsAt: '2030-01-01T20:00:00Z',
          tiers: [{ name: 'GA', priceCents: 1, capacity: 1 }],
        },
      ],
      [
        'POST',
        '/api/concerts',
        admin,
        {
          title: 'T',
          artist: 'A',
          venue: 'V',
          startsAt: '2030-01-01T20:00:00Z',
          tiers: [{ name: 'G\u0000A', priceCents: 1, capacity: 1 }],
        },
      ],
      ['POST', '/api/auth/login', undefined, { 'e\u0000mail': 'x', email: 'a@example.test', password: 'p' }],
    ];
    for (const [method, path, token, body] of cases) {
      const response = await t.api.request(method, path, { ...(token ? { token } : {}), body });
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    }
    const report = await t.api.request('GET', '/api/admin/reports/daily?date=2024-01-01%00', {
      token: admin,
    });
    expect(report.status).toBe(400);
    expect(await snapshot()).toBe(before);
  });

  it('answers a body that is not in its declared Content-Encoding with 400, not 500', async () => {
    const body = JSON.stringify({ email: 'enc@example.test', password: 'password-1', name: 'Enc' });
    for (const coding of ['gzip', 'deflate', 'br', 'x-gzip', 'compress', 'zstd', 'gzip, identity', 'bogus']) {
      const response = await t.api.request('POST', '/api/auth/register', {
        rawBody: body,
        headers: { 'content-type': 'application/json', 'content-encoding': coding },
      });
      expect(response.status, coding).toBe(400);
      expect(response.body.error.code, coding).toBe('VALIDATION_FAILED');
    }
    // A body that is what it says still works.
    const gzipped = await fetch(`${t.service.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
    expect(gzipped.status).toBe(201);
  });

  it('answers HTTP/1.0 requests without a Host header (health probes)', async () => {
    for (const path of ['/health', '/ready', '/api/concerts', '/api/concerts/not-an-id']) {
      // HTTP/1.0: the server closes the connection after its answer.
      const answer = await rawHttp(t.service.port, `GET ${path} HTTP/1.0\r\n\r\n`, 0);
      expect(statusOf(answer), `${path}: ${answer.slice(0, 200)}`).toBeLessThan(500);
    }
    expect(statusOf(await rawHttp(t.service.port, 'GET /health HTTP/1.0\r\n\r\n', 0))).toBe(200);
  });

  it('answers a request in flight before refusing the garbage sent after it on the same connection', async () => {
    const answer = await rawHttp(
      t.service.port,
      'GET /ready HTTP/1.1\r\nHost: x\r\n\r\n{"not":"a request"}\r\n\r\n',
      0,
    );
    expect(statusOf(answer), answer.slice(0, 200)).toBe(200);
  });

  it('refuses an HTTP/1.1 request without Host with a JSON 400 (RFC 9112 §3.2)', async () => {
    const answer = await rawHttp(t.service.port, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n', 0);
    expect(statusOf(answer)).toBe(400);
    expect(answer).toMatch(/"code":"VALIDATION_FAILED"/);
  });

  it('maps a database data exception (SQLSTATE class 22) that slipped past the schemas to 400', () => {
    const nul = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
    });
    const dataApi = new Error('ERROR: date/time field value out of range: "99999-01-01"');
    const wrapped = new Error('query failed', { cause: Object.assign(new Error('x'), { code: '22003' }) });
    for (const error of [nul, dataApi, wrapped]) {
      expect(toErrorResponse(error).status).toBe(400);
      expect(toErrorResponse(error).body.error.code).toBe('VALIDATION_FAILED');
    }
    expect(toErrorResponse(new Error('boom')).status).toBe(500);
  });

  it('routes the internal paths exactly: /METRICS, /metrics/ and /@CONNECTIONS are not found', async () => {
    expect((await fetch(`${t.service.url}/metrics`)).status).toBe(200);
    for (const path of ['/METRICS', '/Metrics', '/metrics/', '/@CONNECTIONS/abc', '/@Connections/abc']) {
      const response = await fetch(`${t.service.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toMatch(/http_requests_total/);
    }
  });

  it('logs and counts what the shim answers on its own (no route, unreadable body)', async () => {
    const scrape = async () => (await (await fetch(`${t.service.url}/metrics`)).text()) as string;
    const count = (text: string, status: number) =>
      Number(
        new RegExp(
          `^http_requests_total\\{[^}]*route="shim"[^}]*status="${status}"[^}]*\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    const before = await scrape();
    await fetch(`${t.service.url}/api/no-such-route`);
    await fetch(`${t.service.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'not gzip',
    });
    const after = await scrape();
    expect(count(after, 404) - count(before, 404)).toBe(1);
    expect(count(after, 400) - count(before, 400)).toBe(1);
    const shimLines = logs.records<{ route?: string; path?: string; status?: number }>();
    expect(shimLines).toContainEqual(
      expect.objectContaining({ route: 'shim', path: '/api/no-such-route', status: 404 }),
    );
  });

  it('cuts a request whose body is still arriving at the configured timeout, and counts it', async () => {
    const started = performance.now();
    const answer = await rawHttp(
      t.service.port,
      'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"em',
      0,
    );
    const elapsed = performance.now() - started;
    expect(statusOf(answer)).toBe(408);
    // requestTimeoutMs 1 500, checked every second.
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(1_500 + 1_000 + 1_000);
    expect(await (await fetch(`${t.service.url}/metrics`)).text()).toMatch(
      /^http_requests_total\{[^}]*route="shim"[^}]*status="408"[^}]*\} 1$/m,
    );
  });
});

describe('the client address behind proxies (TRUST_PROXY)', () => {
  it('believes no X-Forwarded-For by default: 25 wrong logins with 25 made-up addresses are throttled', async () => {
    const t = await startTestService({ LOGIN_ATTEMPTS_PER_MINUTE: '10' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        const response = await t.api.request('POST', '/api/auth/login', {
          body: { email: `nobody-${i}@example.test`, password: 'wrong-password' },
          headers: { 'x-forwarded-for': `10.0.${i}.1` },
        });
        statuses.push(response.status);
      }
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(15);
    } finally {
      await t.close();
    }
  });

  it('takes exactly the configured hops from the right of X-Forwarded-For', () => {
    const request = (forwardedFor: string | undefined, remoteAddress = '127.0.0.1') => ({
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      socket: { remoteAddress } as never,
    });
    const none = clientAddressOf(false);
    expect(none(request('203.0.113.9'))).toBe('127.0.0.1');
    expect(none(request(undefined, '::ffff:192.0.2.4'))).toBe('192.0.2.4');
    const oneHop = clientAddressOf(1);
    // nginx appends the address it saw; whatever the client wrote before that is not believed.
    expect(oneHop(request('6.6.6.6, 203.0.113.9'))).toBe('203.0.113.9');
    expect(oneHop(request(undefined))).toBe('127.0.0.1');
    const byAddress = clientAddressOf(['10.0.0.0/8']);
    expect(byAddress(request('203.0.113.9', '10.1.2.3'))).toBe('203.0.113.9');
    expect(byAddress(request('203.0.113.9', '192.168.1.1'))).toBe('192.168.1.1');
  });
});

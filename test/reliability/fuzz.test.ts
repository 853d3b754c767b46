import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

/** A JSON Schema node of the served OpenAPI document (the subset zod's toJSONSchema emits). */
type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
};
type Operation = {
  method: string;
  path: string;
  parameters: Array<{ name: string; in: string; schema: Schema }>;
  body?: Schema;
};

/** What a hostile client puts where a value belongs: wrong types, NUL, huge numbers, odd unicode. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    -0,
    1.5,
    2 ** 53 + 1,
    1e308,
    -1e308,
    '',
    ' ',
    'a\u0000b',
    '\u0000',
    '\ud800',
    '\u202e\u0000',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '+275760-09-13T00:00:00Z',
    '1970-01-01T00:00:00+23:59',
    '2024-02-30',
    '00000000-0000-0000-0000-000000000000',
    "' OR 1=1 --",
    '../../etc/passwd',
    '{{7*7}}',
    'x'.repeat(5_000),
    [],
    {},
    { __proto__: { admin: true } },
    { constructor: { prototype: { role: 'admin' } } },
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Values for one schema node: mostly what it asks for (so requests reach the database), sometimes not. */
function valueFor(schema: Schema | undefined, ids: string[], depth = 0): fc.Arbitrary<unknown> {
  const valid = conforming(schema ?? {}, ids, depth);
  return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostileValue });
}

function conforming(schema: Schema, ids: string[], depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((s) => conforming(s, ids, depth)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      if (depth > 4) return fc.constant({});
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const keys = Object.keys(properties);
      return fc
        .tuple(
          fc.record(Object.fromEntries(keys.map((key) => [key, valueFor(properties[key], ids, depth + 1)])), {
            requiredKeys: keys.filter((key) => required.has(key) || keys.length < 4),
          }),
          fc.option(fc.tuple(fc.constantFrom('extra', '__proto__', 'id', 'role', 'e\u0000'), hostileValue)),
        )
        .map(([record, extra]) => (extra ? { ...record, [extra[0]]: extra[1] } : record));
    }
    case 'array':
      return depth > 4
        ? fc.constant([])
        : fc.array(valueFor(schema.items, ids, depth + 1), { maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'integer':
      return fc.oneof(
        fc.integer({ min: schema.minimum ?? -1_000, max: Math.min(schema.maximum ?? 1_000, 2 ** 31) }),
        fc.constantFrom(schema.minimum ?? 0, schema.maximum ?? 0, (schema.maximum ?? 0) + 1, 2 ** 31),
      );
    case 'number':
      return fc.double({ noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'string':
      switch (schema.format) {
        case 'uuid':
          return fc.oneof(fc.constantFrom(...ids), fc.uuid());
        case 'date-time':
          return fc.oneof(
            fc
              .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
              .map((d) => d.toISOString()),
            fc.constantFrom('0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2024-01-01T00:00:00+14:00'),
          );
        case 'date':
          return fc.oneof(
            fc
              .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
              .map((d) => d.toISOString().slice(0, 10)),
            fc.constantFrom('0001-01-01', '9999-12-31', '2024-02-29'),
          );
        case 'email':
          return fc.emailAddress();
        default:
          return fc.string({
            minLength: schema.minLength ?? 0,
            maxLength: Math.min(schema.maxLength ?? 30, 30),
          });
      }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** What goes on the wire as the body: the generated value as JSON, or bytes no JSON parser likes. */
const rawBodyFor = (value: fc.Arbitrary<unknown>): fc.Arbitrary<string | Buffer> =>
  fc.oneof(
    { weight: 6, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
    {
      weight: 1,
      arbitrary: fc.oneof(
        value.map((v) => (JSON.stringify(v) ?? '').slice(0, -1)),
        value.map((v) => `\ufeff${JSON.stringify(v)}`),
        value.map((v) => gzipSync(JSON.stringify(v) ?? '')),
        fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
        fc.constant(`{"a":${'{"a":'.repeat(20)}1${'}'.repeat(21)}`),
        fc.constant('x'.repeat(70_000)),
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes)),
      ),
    },
  );

/** A path parameter: a known id mostly, else something hostile, percent-encoded as a client would. */
const pathValue = (ids: string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 20 }).map(encoded),
        fc.constantFrom('%00', '%E0%A4%A', '..', '%2e%2e', 'a%2Fb', ids[0]?.toUpperCase() ?? 'X', '%20'),
      ),
    },
  );

/** Percent-encoded as a client would; a lone surrogate goes out as the (invalid UTF-8) bytes of one. */
const encoded = (text: string) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
};

/** Characters Node lets into a header value (it throws on the rest, as any HTTP stack refuses them). */
const headerSafe = (text: string) => text.replace(/[^\x20-\x7e\x80-\xff]/g, '') || 'k';

interface WireResponse {
  status: number;
  body: string;
}

/** One request exactly as generated: raw path, optional Host, any body bytes (fetch would tidy all three). */
function send(
  port: number,
  request: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: string | Buffer;
    host: boolean;
  },
): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.path,
        // Node frames no body of a DELETE or OPTIONS by itself: say how long it is, as a client must.
        headers:
          request.body === undefined
            ? request.headers
            : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        setHost: request.host,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

describe('fuzzing every HTTP route of the served OpenAPI document, and every WebSocket message', () => {
  let t: TestService;
  let tokens: Record<string, string>;
  let ids: string[];
  let checksumQuery: string;

  beforeAll(async () => {
    t = await startTestService({
      LOGIN_ATTEMPTS_PER_MINUTE: '100000',
      REGISTRATIONS_PER_ADDRESS_PER_MINUTE: '0',
    });
    const admin = await t.api.adminToken();
    const customer = await t.api.register('fuzz@example.test');
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 1000 }]);
    const hold = await t.api.request('POST', '/api/reservations', {
      token: customer,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
    });
    tokens = { admin, customer, garbage: 'x.y.z', empty: '' };
    ids = [
      concert.id,
      concert.tiers[0]?.id as string,
      hold.body.reservation.id,
      '00000000-0000-4000-8000-000000000000',
    ];
    // One checksum over every row of every table: a refusal must leave each of them as it was.
    const [built] = await t.service.services.db.query<{ sql: string }>(
      `SELECT string_agg(format('SELECT %L AS t, md5(coalesce(string_agg(x::text, %L ORDER BY x::text), %L)) AS h FROM %I.%I x',
                 table_name, '|', '', table_schema, table_name), ' UNION ALL ' ORDER BY table_name) AS sql
         FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    checksumQuery = built?.sql as string;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never answers 5xx, and a 4xx changes no row of any table', async () => {
    const checksum = async () => JSON.stringify(await t.service.services.db.query(checksumQuery));
    const document = (await t.api.request('GET', '/api/openapi.json')).body as {
      paths: Record<string, Record<string, { parameters?: Operation['parameters']; requestBody?: any }>>;
    };
    const operations: Operation[] = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
      })),
    );
    expect(operations.length).toBeGreaterThan(10);
    const request = fc.constantFrom(...operations).chain((op) =>
      fc.record({
        op: fc.constant(op),
        method: fc.oneof(
          { weight: 8, arbitrary: fc.constant(op.method) },
          {
            weight: 1,
            arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
          },
        ),
        pathParams: fc.array(pathValue(ids), { minLength: 4, maxLength: 4 }),
        query: fc.array(
          fc.tuple(
            fc.constantFrom(...op.parameters.filter((p) => p.in === 'query').map((p) => p.name), 'x'),
            valueFor({ type: 'string', format: 'date' }, ids).map((v) => encoded(String(v))),
          ),
          { maxLength: 2 },
        ),
        idempotencyKey: fc.option(fc.oneof(fc.uuid(), fc.string({ unit: 'binary', maxLength: 220 }))),
        token: fc.constantFrom('admin', 'admin', 'customer', 'garbage', 'empty', 'none'),
        contentType: fc.constantFrom(
          'application/json',
          'application/json',
          'application/json; charset=utf-16',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          '',
        ),
        contentEncoding: fc.oneof(
          { weight: 6, arbitrary: fc.constant('') },
          {
            weight: 1,
            arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'zstd', 'bogus'),
          },
        ),
        host: fc.oneof(
          { weight: 8, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        body: fc.option(rawBodyFor(valueFor(op.body, ids)), { freq: 6 }),
      }),
    );
    let before = await checksum();
    const refusals: Record<number, number> = {};
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        cases++;
        let n = 0;
        let path = r.op.path.replace(/\{\w+\}/g, () => r.pathParams[n++] ?? 'x');
        if (r.query.length) path += `?${r.query.map(([k, v]) => `${k}=${v}`).join('&')}`;
        const headers: Record<string, string> = {};
        if (r.token !== 'none') headers.authorization = `Bearer ${tokens[r.token]}`;
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.contentEncoding) headers['content-encoding'] = r.contentEncoding;
        if (r.idempotencyKey !== null) headers['idempotency-key'] = headerSafe(r.idempotencyKey);
        const body = r.body === null || r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body;
        const response = await send(t.service.port, { method: r.method, path, headers, body, host: r.host });
        const label = `${r.method} ${path} ${JSON.stringify(headers)} ${String(body).slice(0, 120)}`;
        expect(response.status, `${label} → ${response.body.slice(0, 200)}`).toBeLessThan(500);
        const after = await checksum();
        if (response.status >= 400) {
          refusals[response.status] = (refusals[response.status] ?? 0) + 1;
          if (r.method !== 'HEAD') {
            let code: unknown;
            try {
              code = JSON.parse(response.body).error?.code;
            } catch {
              code = `not JSON: ${response.body.slice(0, 80)}`;
            }
            expect(code, `${label} → ${response.status}`).toEqual(expect.stringMatching(/^[A-Z_]+$/));
          }
          const changed = (JSON.parse(after) as Array<{ t: string; h: string }>)
            .filter((row, i) => (JSON.parse(before) as Array<{ h: string }>)[i]?.h !== row.h)
            .map((row) => row.t);
          expect(changed, `${label} was refused (${response.status}) but changed these tables`).toEqual([]);
        }
        before = after;
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 2_000), endOnFailure: true },
    );
    console.log(
      `HTTP fuzzing: ${cases} requests over ${operations.length} operations, none 5xx; refusals ${JSON.stringify(refusals)}`,
    );
    expect((await t.api.request('GET', '/health')).status).toBe(200);
  }, 180_000);

  it('survives generated WebSocket frames, answering bad ones with error messages', async () => {
    const client = await rawClient(t.service.url);
    let frames = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
          fc
            .record({
              action: fc.constantFrom('join-concert', 'leave-concert', 'join-admin', 'nope', ''),
              concertId: fc.oneof(fc.string(), fc.constantFrom(...ids)),
            })
            .map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 200 }),
          fc.constant('x'.repeat(10_000)),
        ),
        async (frame) => {
          frames++;
          client.socket.send(frame);
        },
      ),
      { numRuns: 300 },
    );
    // The frames may have used up this connection's allowance (RATE_LIMITED closes it): a new one joins.
    await expect.poll(() => client.inbox.messages.some((m) => m.type === 'error')).toBe(true);
    const fresh = await rawClient(t.service.url);
    fresh.send({ action: 'join-concert', concertId: ids[0] });
    await fresh.inbox.next((m) => m.type === 'concert-update' && m.concertId === ids[0]);
    fresh.close();
    expect(client.inbox.messages.every((m) => m.type !== 'error' || m.code !== 'INTERNAL')).toBe(true);
    console.log(`WebSocket fuzzing: ${frames} generated frames, the server kept answering`);
    client.close();
    expect((await t.api.request('GET', '/health')).status).toBe(200);
  });
});

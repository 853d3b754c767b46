import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../../functions/handlers/http/routes';
import { rawClient } from '../support/realtime-clients';
import { startTestService, type TestService } from '../support/test-service';

const SNAPSHOT = `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM concerts) AS concerts,
  (SELECT coalesce(sum(available), 0) FROM ticket_tiers) AS available, (SELECT count(*) FROM ticket_tiers) AS tiers,
  (SELECT count(*) FROM reservations) AS reservations, (SELECT count(*) FROM tickets) AS tickets,
  (SELECT string_agg(status, ',' ORDER BY id) FROM reservations) AS statuses,
  (SELECT string_agg(title || venue, ',' ORDER BY id) FROM concerts) AS concert_text`;

describe('fuzzing every HTTP route and WebSocket message', () => {
  let t: TestService;
  let tokens: Record<string, string>;
  let ids: string[];

  beforeAll(async () => {
    t = await startTestService({ LOGIN_ATTEMPTS_PER_MINUTE: '100000' });
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
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never answers 5xx, and a 4xx changes nothing', async () => {
    const snapshot = async () => JSON.stringify(await t.service.services.db.query(SNAPSHOT));
    const hostileText = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        '../../etc/passwd',
        '%00',
        "' OR 1=1 --",
        '<script>alert(1)</script>',
        '{{7*7}}',
        'NaN',
        '-1',
        '1e308',
        '\u202e',
      ),
    );
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      hostileText,
      fc.integer(),
      fc.double(),
      fc.constantFrom(...ids),
    );
    const body = fc.oneof(
      fc.dictionary(
        fc.constantFrom(
          'concertId',
          'tierId',
          'quantity',
          'email',
          'password',
          'name',
          'title',
          'tiers',
          'startsAt',
          '__proto__',
          'status',
        ),
        value,
      ),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      hostileText,
      fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
      fc.constant('x'.repeat(70_000)),
    );
    const request = fc.record({
      route: fc.constantFrom(...HTTP_ROUTES),
      method: fc.option(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')),
      id: fc.oneof(fc.constantFrom(...ids), hostileText.map(encodeURIComponent)),
      token: fc.constantFrom(...Object.keys({ admin: 1, customer: 1, garbage: 1, empty: 1, none: 1 })),
      contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
      idempotencyKey: fc.option(hostileText),
      body: fc.option(body),
    });
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        cases++;
        const path = r.route.path.replace('{id}', r.id || 'x');
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.idempotencyKey !== null)
          headers['idempotency-key'] = r.idempotencyKey.replace(/[^\x20-\x7e]/g, '') || 'k'; // what HTTP can carry
        const before = await snapshot();
        const rawBody =
          r.body === null ? undefined : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
        const method = r.method ?? r.route.method;
        const response = await t.api.request(method, path, {
          ...(r.token !== 'none' ? { token: tokens[r.token] } : {}),
          ...(rawBody !== undefined && method !== 'GET' ? { rawBody } : {}),
          headers,
        });
        expect(response.status, `${method} ${path} ${rawBody?.slice(0, 80)}`).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.body.error?.code, `${method} ${path}`).toEqual(expect.any(String));
          expect(await snapshot(), `${method} ${path} changed the database`).toBe(before);
        }
      }),
      { numRuns: 400 },
    );
    console.log(`HTTP fuzzing: ${cases} generated requests, none answered 5xx`);
    expect((await t.api.request('GET', '/health')).status).toBe(200);
  });

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
    client.send({ action: 'join-concert', concertId: ids[0] });
    await client.inbox.next((m) => m.type === 'concert-update' && m.concertId === ids[0]);
    expect(client.inbox.messages.filter((m) => m.type === 'error').length).toBeGreaterThan(0);
    expect(client.inbox.messages.every((m) => m.type !== 'error' || m.code !== 'INTERNAL')).toBe(true);
    console.log(`WebSocket fuzzing: ${frames} generated frames, the server kept answering`);
    client.close();
    expect((await t.api.request('GET', '/health')).status).toBe(200);
  });
});

import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, startTestService, TEST_ADMIN, type TestService } from '../support/test-service';

describe('authentication and authorization', () => {
  let t: TestService;
  let secret: Uint8Array;

  beforeAll(async () => {
    t = await startTestService({ LOGIN_ATTEMPTS_PER_MINUTE: '5', TRUST_PROXY: 'loopback' });
    secret = new TextEncoder().encode(t.service.services.config.jwtSecret);
  });
  afterAll(async () => {
    await t?.close();
  });

  const sign = (claims: Record<string, unknown>, configure: (jwt: SignJWT) => SignJWT) =>
    configure(
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('concert-ticket-system'),
    ).sign(secret);

  it('registers, refuses a taken e-mail, and logs in case-insensitively', async () => {
    const registered = await t.api.request('POST', '/api/auth/register', {
      body: { email: 'Ada@Example.test', password: 'correct horse', name: 'Ada' },
    });
    expect(registered.status).toBe(201);
    expect(registered.body.user).toMatchObject({ email: 'ada@example.test', name: 'Ada', role: 'customer' });
    expect(registered.body.user).not.toHaveProperty('passwordHash');
    const taken = await t.api.request('POST', '/api/auth/register', {
      body: { email: 'ADA@example.test', password: 'another one', name: 'Ada 2' },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('EMAIL_TAKEN');
    const login = await t.api.request('POST', '/api/auth/login', {
      body: { email: 'ada@EXAMPLE.test', password: 'correct horse' },
    });
    expect(login.status).toBe(200);
    const me = await t.api.request('GET', '/api/me/reservations', { token: login.body.token });
    expect(me.status).toBe(200);
  });

  it('answers a wrong password or unknown account with 401 INVALID_CREDENTIALS', async () => {
    await t.api.register('wrongpw@example.test', 'right password');
    for (const body of [
      { email: 'wrongpw@example.test', password: 'wrong password' },
      { email: 'nobody@example.test', password: 'right password' },
    ]) {
      const response = await t.api.request('POST', '/api/auth/login', { body });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('INVALID_CREDENTIALS');
    }
  });

  it('makes the configured admin exist after start-up', async () => {
    const login = await t.api.request('POST', '/api/auth/login', { body: TEST_ADMIN });
    expect(login.body.user).toMatchObject({ email: TEST_ADMIN.email, role: 'admin' });
  });

  it('refuses tampered, expired, not-yet-valid, unsigned and foreign tokens with 401', async () => {
    const good = await t.api.register('tokens@example.test');
    const [header, payload, signature] = good.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), role: 'admin' }),
    ).toString('base64url');
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    const expired = await sign({ role: 'customer' }, (jwt) =>
      jwt
        .setSubject('00000000-0000-4000-8000-000000000000')
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60),
    );
    const future = await sign({ role: 'customer' }, (jwt) =>
      jwt.setSubject('00000000-0000-4000-8000-000000000000').setNotBefore('1h').setExpirationTime('2h'),
    );
    const otherKey = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('00000000-0000-4000-8000-000000000000')
      .setIssuer('concert-ticket-system')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(40)));
    const tampered = [
      `${header}.${forged}.${signature}`,
      unsigned,
      expired,
      future,
      otherKey,
      'garbage',
      `${good}x`,
    ];

    for (const token of tampered) {
      const response = await t.api.request('GET', '/api/me/tickets', { token });
      expect(response.status, token).toBe(401);
      expect(response.body.error.code).toBe('UNAUTHORIZED');
    }
    const noHeader = await t.api.request('GET', '/api/me/tickets');
    expect(noHeader.status).toBe(401);
  });

  it('checks the token before the body: no token and a bad body is still 401', async () => {
    const response = await t.api.request('POST', '/api/reservations', { rawBody: '{not json' });
    expect(response.status).toBe(401);
  });

  it('gives customers 403 on admin routes', async () => {
    const fan = await t.api.register('fan403@example.test');
    const create = await t.api.request('POST', '/api/concerts', { token: fan, body: {} });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('FORBIDDEN');
    const patch = await t.api.request('PATCH', '/api/concerts/00000000-0000-4000-8000-000000000000', {
      token: fan,
      body: { title: 'mine now' },
    });
    expect(patch.status).toBe(403);
  });

  it("hides another user's reservation behind 404, and lets an admin see it", async () => {
    const admin = await t.api.adminToken();
    const [owner, other] = [
      await t.api.register('owner@example.test'),
      await t.api.register('other@example.test'),
    ];
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
    const hold = await t.api.request('POST', '/api/reservations', {
      token: owner,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
    });
    const id = hold.body.reservation.id;
    for (const [method, path] of [
      ['GET', `/api/reservations/${id}`],
      ['POST', `/api/reservations/${id}/confirm`],
      ['DELETE', `/api/reservations/${id}`],
    ] as const) {
      const response = await t.api.request(method, path, { token: other });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error.code).toBe('NOT_FOUND');
    }
    expect((await t.api.request('GET', `/api/reservations/${id}`, { token: admin })).status).toBe(200);
    expect(
      (await t.api.request('GET', `/api/reservations/${id}`, { token: owner })).body.reservation.status,
    ).toBe('held');
  });

  it('limits login attempts from one address with 429 and Retry-After', async () => {
    await t.api.register('bruteforce@example.test', 'the real password');
    const statuses: number[] = [];
    let last: ApiResponse | undefined;
    for (let i = 0; i < 7; i++) {
      last = await t.api.request('POST', '/api/auth/login', {
        body: { email: 'bruteforce@example.test', password: `guess ${i}` },
        headers: { 'x-forwarded-for': '10.0.0.7' },
      });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(last?.body.error.code).toBe('RATE_LIMITED');
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminIfAbsent, ensureAdmin } from '../../functions/core/auth.service';
import { seedSampleData } from '../../local/sample-data';
import { type ApiResponse, startTestService, TEST_ADMIN, type TestService } from '../support/test-service';

// Issue 15 items 4, 5, 6 and 12: identities that stay true. Client addresses come from X-Forwarded-For,
// believed because TRUST_PROXY names the loopback proxy (the test client).
const LIMIT = 5;

describe('identities that stay true', () => {
  let t: TestService;
  let nextAddress = 0;
  const freshAddress = () => `10.77.${Math.floor(++nextAddress / 250)}.${(nextAddress % 250) + 1}`;

  beforeAll(async () => {
    t = await startTestService({
      LOGIN_ATTEMPTS_PER_MINUTE: String(LIMIT),
      REGISTRATIONS_PER_ADDRESS_PER_MINUTE: '3',
      TRUST_PROXY: 'loopback',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const login = (email: string, password: string, address: string): Promise<ApiResponse> =>
    t.api.request('POST', '/api/auth/login', {
      body: { email, password },
      headers: { 'x-forwarded-for': address },
    });
  const register = (email: string, password: string, address = freshAddress()): Promise<ApiResponse> =>
    t.api.request('POST', '/api/auth/register', {
      body: { email, password, name: 'Fan' },
      headers: { 'x-forwarded-for': address },
    });
  const createConcert = (token: string) =>
    t.api.request('POST', '/api/concerts', {
      token,
      body: {
        title: 'Demotion Night',
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        tiers: [{ name: 'GA', priceCents: 100, capacity: 1 }],
      },
    });

  it('takes a demotion away from a token already issued within seconds', async () => {
    await ensureAdmin(t.service.services.auth, { email: 'boss2@example.test', password: 'boss two pass' });
    const token = (await login('boss2@example.test', 'boss two pass', freshAddress())).body.token;
    expect((await createConcert(token)).status).toBe(201);
    await t.service.services.db.query(
      `UPDATE users SET role = 'customer' WHERE email = 'boss2@example.test'`,
    );
    await expect.poll(async () => (await createConcert(token)).status).toBe(403);
  });

  it("refuses a deleted user's token within seconds", async () => {
    const registered = await register('gone@example.test', 'gone password');
    const token = registered.body.token;
    expect((await t.api.request('GET', '/api/me/tickets', { token })).status).toBe(200);
    await t.service.services.db.query('DELETE FROM users WHERE id = $1', [registered.body.user.id]);
    await expect
      .poll(async () => (await t.api.request('GET', '/api/me/tickets', { token })).status)
      .toBe(401);
  });

  it('ends the sessions opened under an old admin password when it is changed', async () => {
    await ensureAdmin(t.service.services.auth, { email: 'boss3@example.test', password: 'first password' });
    const old = (await login('boss3@example.test', 'first password', freshAddress())).body.token;
    await ensureAdmin(t.service.services.auth, { email: 'boss3@example.test', password: 'second password' });
    await expect.poll(async () => (await createConcert(old)).status).toBe(401);
    const fresh = (await login('boss3@example.test', 'second password', freshAddress())).body.token;
    expect((await createConcert(fresh)).status).toBe(201);
  });

  it('reaches an account through one spelling only: 31 dotted-İ spellings never log in', async () => {
    // Five i's: 2^5 - 1 = 31 spellings with at least one İ, which PostgreSQL's lower() folds onto the account.
    const email = 'ivi.irini@example.test';
    expect((await register(email, 'the right password')).status).toBe(201);
    const spellings = Array.from({ length: 31 }, (_, n) => {
      let bit = 0;
      return email.replace(/i/g, () => ((n + 1) & (1 << bit++) ? 'İ' : 'i'));
    });
    expect(new Set(spellings).size).toBe(31);
    // The account is under attack: wrong guesses from many addresses.
    for (let i = 0; i < LIMIT; i++) await login(email, `guess ${i}`, freshAddress());
    const answers: number[] = [];
    for (const spelling of spellings) {
      answers.push((await login(spelling, 'the right password', freshAddress())).status);
    }
    expect(answers.filter((status) => status === 200)).toEqual([]);
    expect((await login('IVI.IRINI@Example.TEST', 'the right password', freshAddress())).status).toBe(200);
  });

  it('slows a guesser on many addresses without locking the organiser out', async () => {
    const home = freshAddress();
    expect((await login(TEST_ADMIN.email, TEST_ADMIN.password, home)).status).toBe(200);
    const guessers = Array.from({ length: 3 }, () => freshAddress());
    const guesses: ApiResponse[] = [];
    for (const guesser of guessers)
      for (let i = 0; i < LIMIT; i++) guesses.push(await login(TEST_ADMIN.email, `guess ${i}`, guesser));
    // Under attack, each address that never signed in gets one try per pace, then waits.
    const again = await login(TEST_ADMIN.email, 'guess again', guessers[0] as string);
    expect(again.status).toBe(429);
    expect(again.body.error.code).toBe('RATE_LIMITED');
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    const paced = freshAddress();
    expect((await login(TEST_ADMIN.email, 'one try', paced)).status).toBe(401);
    expect((await login(TEST_ADMIN.email, 'two tries', paced)).status).toBe(429);
    // The organiser is not locked out: from where they signed in before, and (outside attack: 24 wrong
    // passwords from 3 addresses, then the right one from a new address answered 429) from a new address.
    expect((await login(TEST_ADMIN.email, TEST_ADMIN.password, home)).status).toBe(200);
    expect((await login(TEST_ADMIN.email, TEST_ADMIN.password, freshAddress())).status).toBe(200);
  });

  it('stops one address guessing at one account, and only that address', async () => {
    expect((await register('pair@example.test', 'pair password')).status).toBe(201);
    const guesser = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++)
      statuses.push((await login('pair@example.test', `no ${i}`, guesser)).status);
    expect(statuses).toEqual([...Array(LIMIT).fill(401), 429]);
    // Even with the right password, the guessing address waits; the owner elsewhere does not.
    expect((await login('pair@example.test', 'pair password', guesser)).status).toBe(429);
    expect((await login('pair@example.test', 'pair password', freshAddress())).status).toBe(200);
  });

  it('limits sign-ups per address with 429 RATE_LIMITED and Retry-After', async () => {
    const address = freshAddress();
    for (let i = 0; i < 3; i++)
      expect((await register(`signup${i}@example.test`, 'password-1', address)).status).toBe(201);
    const refused = await register('signup3@example.test', 'password-1', address);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await register('signup4@example.test', 'password-1', freshAddress())).status).toBe(201);
  });

  it('bounds password hashing: a burst of sign-ups gets 503 with Retry-After beyond the queue, never a 500', async () => {
    const burst = await Promise.all(
      Array.from({ length: 60 }, (_, i) => register(`burst${i}@example.test`, 'burst password')),
    );
    const statuses = burst.map((response) => response.status);
    expect(statuses.filter((status) => status !== 201 && status !== 503)).toEqual([]);
    const refused = burst.filter((response) => response.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) {
      expect(response.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('never changes an existing account when seeding again', async () => {
    const services = t.service.services;
    const unconfigured = { ...services, config: { ...services.config, admin: undefined } };
    const sample = { email: 'admin@example.com', password: 'change-me-admin' };
    await seedSampleData(unconfigured, () => {}, sample);
    await ensureAdmin(services.auth, { email: sample.email, password: 'the operator chose this' });
    await seedSampleData(unconfigured, () => {}, sample);
    expect((await login(sample.email, 'the operator chose this', freshAddress())).status).toBe(200);
    expect((await login(sample.email, sample.password, freshAddress())).status).toBe(401);
    // A customer who took the sample address first stays a customer.
    expect((await register('taken@example.test', 'customer password')).status).toBe(201);
    const { user, created } = await createAdminIfAbsent(services.auth, {
      email: 'Taken@Example.test',
      password: 'change-me-admin',
    });
    expect({ role: user.role, created }).toEqual({ role: 'customer', created: false });
  });
});

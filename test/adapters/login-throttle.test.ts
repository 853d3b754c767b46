import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LoginThrottleLimits,
  RateLimiterLoginThrottle,
} from '../../functions/adapters/redis/rate-limiter-login-throttle';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';

const LIMITS: LoginThrottleLimits = {
  perAddressPerMinute: 100,
  failuresPerAccountAndAddress: 3,
  accountFailuresBeforeSlowDown: 6,
  slowDownSeconds: 60,
  registrationsPerAddressPerMinute: 2,
};

let redis: Redis;
const prefix = testRedisPrefix();
beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await redis.quit();
  await dropRedisPrefix(prefix);
});

describe.each([
  ['in memory', () => new RateLimiterLoginThrottle(LIMITS)],
  [
    'in Redis',
    () => new RateLimiterLoginThrottle(LIMITS, { client: redis, keyPrefix: `${prefix}${Math.random()}:` }),
  ],
])('RateLimiterLoginThrottle %s', (_name, make) => {
  it('stops one address at one account after its failures, and forgives it on a right password', async () => {
    const throttle = make();
    for (let i = 0; i < 3; i++) {
      expect((await throttle.attempt('10.0.0.1', 'owner@x.test')).allowed).toBe(true);
      await throttle.failed('10.0.0.1', 'owner@x.test');
    }
    const refused = await throttle.attempt('10.0.0.1', 'owner@x.test');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect((await throttle.attempt('10.0.0.2', 'owner@x.test')).allowed).toBe(true);
    await throttle.succeeded('10.0.0.2', 'owner@x.test');
  });

  it('counts tries sent in parallel before any password is checked (review finding)', async () => {
    const throttle = make();
    const verdicts = await Promise.all(
      Array.from({ length: 8 }, () => throttle.attempt('10.3.0.1', 'parallel@x.test')),
    );
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(3);
  });

  it('paces each unknown address of an account under attack on its own, never the addresses it signed in from', async () => {
    const throttle = make();
    await throttle.succeeded('192.0.2.1', 'boss@x.test');
    for (let i = 0; i < 6; i++) await throttle.failed(`10.1.0.${i}`, 'boss@x.test');
    // One try per address per pace: a second from the same address waits; a new address is not starved
    // by the others' tries (a shared budget would let guessers lock the owner out of a new address).
    const verdicts = [];
    for (let i = 10; i < 13; i++)
      for (let n = 0; n < 2; n++)
        verdicts.push((await throttle.attempt(`10.1.0.${i}`, 'boss@x.test')).allowed);
    expect(verdicts).toEqual([true, false, true, false, true, false]);
    expect((await throttle.attempt('192.0.2.1', 'boss@x.test')).allowed).toBe(true);
  });

  it('counts sign-ups per address', async () => {
    const throttle = make();
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push((await throttle.registration('10.2.0.1')).allowed);
    expect(verdicts).toEqual([true, true, false]);
    expect((await throttle.registration('10.2.0.2')).allowed).toBe(true);
  });
});

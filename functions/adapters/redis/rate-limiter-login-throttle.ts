import type { Redis } from 'ioredis';
import type { LoginThrottle, ThrottleVerdict } from '../../ports/login-throttle.port';
import { addressBlock } from '../node/address-block';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from './rate-limiter-classes';

export interface LoginThrottleLimits {
  /** Login tries one address may make per minute, over all accounts (LOGIN_ATTEMPTS_PER_MINUTE). */
  perAddressPerMinute: number;
  /** Wrong passwords one address may give for one account per 15 minutes before it must wait. */
  failuresPerAccountAndAddress: number;
  /**
   * Wrong passwords for one account, from all addresses together, per 15 minutes, after which each address
   * that never signed in to it gets one try per `slowDownSeconds` (addresses it signed in from are exempt).
   */
  accountFailuresBeforeSlowDown: number;
  /** The pace of each unknown address at an account under attack (s): one try per this many seconds. */
  slowDownSeconds: number;
  /** Sign-ups per address per minute (REGISTRATIONS_PER_ADDRESS_PER_MINUTE); 0 = no limit. */
  registrationsPerAddressPerMinute: number;
}

const QUARTER_HOUR = 15 * 60;
// 20 days: the in-memory limiter keeps a key with one setTimeout, which cannot exceed 24.8 days.
const KNOWN_ADDRESS_SECONDS = 20 * 24 * 60 * 60;
const UNCOUNTED = 1_000_000_000;

type Limiter = RateLimiterMemory | RateLimiterRedis;

/**
 * The login policy (no hard lock: nobody can lock an owner out):
 * 1. per address: `perAddressPerMinute` tries a minute, over all accounts;
 * 2. per (account, address): `failuresPerAccountAndAddress` wrong passwords per 15 min, then that
 *    address waits; a right password from the address clears its count;
 * 3. per account: past `accountFailuresBeforeSlowDown` wrong passwords in 15 min (all addresses), each
 *    address that has not signed in to the account in the last 20 days gets one try per
 *    `slowDownSeconds` at it. The pace is per address, never shared: a budget the guessers could spend
 *    would lock the owner out of a new address (an outside attack did: 24 guesses from 3 addresses, then
 *    one a minute, kept the organiser's right password refused). Addresses the owner signed in from are
 *    not slowed at all.
 * rate-limiter-flexible: shared across replicas in Redis when there is one, in memory otherwise (and as
 * the fallback while Redis is away, rather than refusing every login).
 */
export class RateLimiterLoginThrottle implements LoginThrottle {
  private readonly byAddress: Limiter;
  private readonly pairFailures: Limiter;
  private readonly accountFailures: Limiter;
  private readonly accountPace: Limiter;
  private readonly knownAddresses: Limiter;
  private readonly registrations: Limiter | undefined;

  constructor(
    private readonly limits: LoginThrottleLimits,
    redis?: { client: Redis; keyPrefix: string },
  ) {
    const make = (keyPrefix: string, points: number, duration: number): Limiter =>
      redis
        ? new RateLimiterRedis({
            storeClient: redis.client,
            keyPrefix: `${redis.keyPrefix}${keyPrefix}`,
            points,
            duration,
            insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
          })
        : new RateLimiterMemory({ keyPrefix, points, duration });
    this.byAddress = make('login-ip', limits.perAddressPerMinute, 60);
    this.pairFailures = make('login-pair', UNCOUNTED, QUARTER_HOUR);
    this.accountFailures = make('login-account', UNCOUNTED, QUARTER_HOUR);
    this.accountPace = make('login-pace', 1, limits.slowDownSeconds);
    this.knownAddresses = make('login-known', UNCOUNTED, KNOWN_ADDRESS_SECONDS);
    this.registrations =
      limits.registrationsPerAddressPerMinute > 0
        ? make('register-ip', limits.registrationsPerAddressPerMinute, 60)
        : undefined;
  }

  async attempt(clientAddress: string, account: string): Promise<ThrottleVerdict> {
    const pair = pairKey(clientAddress, account);
    // The try is counted before its password is checked (a right one clears the count), so wrong guesses
    // sent in parallel cannot all pass the check before the first failure lands.
    const [pairCount, accountCount, known] = await Promise.all([
      this.pairFailures.consume(pair),
      this.accountFailures.get(account),
      this.knownAddresses.get(pair),
    ]);
    if (pairCount.consumedPoints > this.limits.failuresPerAccountAndAddress) {
      return refused(pairCount.msBeforeNext);
    }
    const addressVerdict = await consumed(this.byAddress, addressBlock(clientAddress));
    if (!addressVerdict.allowed) return addressVerdict;
    const underAttack = (accountCount?.consumedPoints ?? 0) >= this.limits.accountFailuresBeforeSlowDown;
    if (underAttack && !known?.consumedPoints) return consumed(this.accountPace, pair);
    return ALLOWED;
  }

  /** A wrong password: counted for the account (the address's try was counted by `attempt`). */
  async failed(_clientAddress: string, account: string): Promise<void> {
    await this.accountFailures.consume(account);
  }

  async succeeded(clientAddress: string, account: string): Promise<void> {
    const pair = pairKey(clientAddress, account);
    await Promise.all([
      this.pairFailures.delete(pair),
      this.knownAddresses.set(pair, 1, KNOWN_ADDRESS_SECONDS),
    ]);
  }

  registration(clientAddress: string): Promise<ThrottleVerdict> {
    return this.registrations
      ? consumed(this.registrations, addressBlock(clientAddress))
      : Promise.resolve(ALLOWED);
  }
}

const ALLOWED: ThrottleVerdict = { allowed: true, retryAfterSeconds: 0 };

// An address never contains '|', so the pair key is unambiguous whatever the e-mail holds. IPv6 counts by /64.
const pairKey = (clientAddress: string, account: string) => `${addressBlock(clientAddress)}|${account}`;

const refused = (msBeforeNext: number): ThrottleVerdict => ({
  allowed: false,
  retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)),
});

async function consumed(limiter: Limiter, key: string): Promise<ThrottleVerdict> {
  try {
    await limiter.consume(key);
    return ALLOWED;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return refused(rejection.msBeforeNext);
    throw rejection;
  }
}

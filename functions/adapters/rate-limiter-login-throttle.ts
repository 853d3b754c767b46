import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { LoginThrottle, ThrottleVerdict } from '../ports/login-throttle.port';

export interface LoginThrottleLimits {
  perAddressPerMinute: number;
  perAccountPerQuarterHour: number;
}

/** rate-limiter-flexible: shared across replicas in Redis when there is one, in memory otherwise. */
export class RateLimiterLoginThrottle implements LoginThrottle {
  private readonly byAddress: RateLimiterMemory | RateLimiterRedis;
  private readonly byAccount: RateLimiterMemory | RateLimiterRedis;

  constructor(limits: LoginThrottleLimits, redis?: { client: Redis; keyPrefix: string }) {
    const make = (keyPrefix: string, points: number, duration: number) =>
      redis
        ? new RateLimiterRedis({
            storeClient: redis.client,
            keyPrefix: `${redis.keyPrefix}${keyPrefix}`,
            points,
            duration,
            // Redis gone: fall back to this process's memory rather than refusing every login.
            insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
          })
        : new RateLimiterMemory({ keyPrefix, points, duration });
    this.byAddress = make('login-ip', limits.perAddressPerMinute, 60);
    this.byAccount = make('login-account', limits.perAccountPerQuarterHour, 15 * 60);
  }

  async attempt(clientAddress: string, email: string): Promise<ThrottleVerdict> {
    try {
      await Promise.all([this.byAddress.consume(clientAddress), this.byAccount.consume(email.toLowerCase())]);
      return { allowed: true, retryAfterSeconds: 0 };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
      throw rejection;
    }
  }

  async succeeded(email: string): Promise<void> {
    await this.byAccount.delete(email.toLowerCase());
  }
}

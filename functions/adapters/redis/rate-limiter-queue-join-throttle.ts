import type { Redis } from 'ioredis';
import type { ThrottleVerdict } from '../../ports/login-throttle.port';
import type { QueueJoinThrottle } from '../../ports/waiting-room.store.port';
import { addressBlock } from '../node/address-block';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from './rate-limiter-classes';

/**
 * Waiting-room joins per client address per minute (QUEUE_JOINS_PER_ADDRESS_PER_MINUTE; 0 = no limit),
 * counted by address block (IPv6 by /64, see addressBlock). rate-limiter-flexible, shared across replicas in
 * Redis when there is one (memory as the fallback while Redis is away), in memory otherwise.
 */
export class RateLimiterQueueJoinThrottle implements QueueJoinThrottle {
  private readonly limiter: RateLimiterMemory | RateLimiterRedis | undefined;

  constructor(perAddressPerMinute: number, redis?: { client: Redis; keyPrefix: string }) {
    if (perAddressPerMinute <= 0) return;
    const options = { keyPrefix: 'queue-join-ip', points: perAddressPerMinute, duration: 60 };
    this.limiter = redis
      ? new RateLimiterRedis({
          ...options,
          storeClient: redis.client,
          keyPrefix: `${redis.keyPrefix}queue-join-ip`,
          insuranceLimiter: new RateLimiterMemory(options),
        })
      : new RateLimiterMemory(options);
  }

  async join(clientAddress: string): Promise<ThrottleVerdict> {
    if (!this.limiter) return { allowed: true, retryAfterSeconds: 0 };
    try {
      await this.limiter.consume(addressBlock(clientAddress));
      return { allowed: true, retryAfterSeconds: 0 };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
      throw rejection;
    }
  }
}

import type { Redis } from 'ioredis';
import type { QueueFollower, QueueFollowers } from '../../core/waiting-room-live';
import type { RedisKeys } from './redis-keys';

/**
 * `join-queue` followers in Redis (AWS: the `$default` route registers them, the admission Lambda sends
 * their updates): one hash, field `connection|concert`, value the fan. A follower whose connection is gone
 * is dropped when a post answers 410, or on `$disconnect`.
 */
export class RedisQueueFollowers implements QueueFollowers {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async add({ connectionId, userId, concertId }: QueueFollower): Promise<void> {
    await this.redis.hset(this.keys.queueFollowers, `${connectionId}|${concertId}`, userId);
  }

  async remove(connectionId: string, concertId?: string): Promise<void> {
    if (concertId !== undefined) {
      await this.redis.hdel(this.keys.queueFollowers, `${connectionId}|${concertId}`);
      return;
    }
    let cursor = '0';
    do {
      const [next, entries] = await this.redis.hscan(
        this.keys.queueFollowers,
        cursor,
        'MATCH',
        `${connectionId}|*`,
        'COUNT',
        500,
      );
      const fields = entries.filter((_, index) => index % 2 === 0);
      if (fields.length > 0) await this.redis.hdel(this.keys.queueFollowers, ...fields);
      cursor = next;
    } while (cursor !== '0');
  }

  async list(): Promise<QueueFollower[]> {
    const all = await this.redis.hgetall(this.keys.queueFollowers);
    return Object.entries(all).flatMap(([field, userId]) => {
      const [connectionId, concertId] = field.split('|');
      return connectionId && concertId ? [{ connectionId, concertId, userId }] : [];
    });
  }
}

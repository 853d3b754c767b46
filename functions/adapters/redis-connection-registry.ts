import type { Redis } from 'ioredis';
import type { ConnectionRegistry } from '../ports/connection-registry.port';
import type { RedisKeys } from './redis-keys';

// API Gateway closes a WebSocket after 2 hours at most: entries outlive that a little, then vanish.
const TTL_SECONDS = 3 * 60 * 60;

export class RedisConnectionRegistry implements ConnectionRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async register(connectionId: string, info: { userId: string | null; admin: boolean }): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.connection(connectionId), { admin: info.admin ? '1' : '0', user: info.userId ?? '' })
      .expire(this.keys.connection(connectionId), TTL_SECONDS)
      .exec();
  }

  async remove(connectionId: string): Promise<void> {
    const concerts = await this.redis.smembers(this.keys.connectionConcerts(connectionId));
    const tx = this.redis.multi();
    for (const concertId of concerts) tx.srem(this.keys.concertWatchers(concertId), connectionId);
    await tx
      .srem(this.keys.admins, connectionId)
      .del(this.keys.connection(connectionId), this.keys.connectionConcerts(connectionId))
      .exec();
  }

  async isAdmin(connectionId: string): Promise<boolean> {
    return (await this.redis.hget(this.keys.connection(connectionId), 'admin')) === '1';
  }

  async watch(connectionId: string, concertId: string): Promise<void> {
    await this.redis
      .multi()
      .sadd(this.keys.concertWatchers(concertId), connectionId)
      .expire(this.keys.concertWatchers(concertId), TTL_SECONDS)
      .sadd(this.keys.connectionConcerts(connectionId), concertId)
      .expire(this.keys.connectionConcerts(connectionId), TTL_SECONDS)
      .exec();
  }

  async unwatch(connectionId: string, concertId: string): Promise<void> {
    await this.redis
      .multi()
      .srem(this.keys.concertWatchers(concertId), connectionId)
      .srem(this.keys.connectionConcerts(connectionId), concertId)
      .exec();
  }

  async joinAdmins(connectionId: string): Promise<void> {
    await this.redis
      .multi()
      .sadd(this.keys.admins, connectionId)
      .expire(this.keys.admins, TTL_SECONDS)
      .exec();
  }

  watchers(concertId: string): Promise<string[]> {
    return this.redis.smembers(this.keys.concertWatchers(concertId));
  }

  admins(): Promise<string[]> {
    return this.redis.smembers(this.keys.admins);
  }

  async pruneStale(): Promise<number> {
    let pruned = 0;
    const sets = [this.keys.admins];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        'MATCH',
        this.keys.concertWatchers('*'),
        'COUNT',
        200,
      );
      sets.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    for (const set of sets) {
      const members = await this.redis.smembers(set);
      if (members.length === 0) continue;
      const exists = await Promise.all(members.map((id) => this.redis.exists(this.keys.connection(id))));
      const stale = members.filter((_, i) => exists[i] === 0);
      if (stale.length > 0) pruned += await this.redis.srem(set, ...stale);
    }
    return pruned;
  }
}

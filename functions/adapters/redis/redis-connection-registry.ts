import type { Redis } from 'ioredis';
import type { ConnectionInfo, ConnectionRegistry, WatchOutcome } from '../../ports/connection-registry.port';
import type { RedisKeys } from './redis-keys';

/** API Gateway closes a WebSocket after 2 hours at most: unrefreshed entries outlive that a little. */
export const DEFAULT_REGISTRY_TTL_SECONDS = 3 * 60 * 60;

// Only a registered connection may watch: checked and written in one step, so a join racing the
// connection's close (whose `remove` runs the script below) never leaves its id behind.
// KEYS: connection hash, its concerts set, the concert's watchers. ARGV: id, concert, deadline ms, ttl s, cap.
const WATCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local cap = tonumber(ARGV[5])
if cap > 0 and redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0 and redis.call('SCARD', KEYS[2]) >= cap then
  return 'full'
end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return 'watching'`;

// KEYS: connection hash, admin feed. ARGV: id, deadline ms, ttl s.
const JOIN_ADMINS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1`;

// KEYS: connection hash, its concerts set, admin feed. ARGV: id, the watchers key prefix.
const REMOVE = `
for _, concert in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  redis.call('ZREM', ARGV[2] .. concert, ARGV[1])
end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[1], KEYS[2])
return 1`;

/**
 * The connection registry in Redis (what the AWS relay reads). Watchers and admins are sorted sets scored
 * by the time (ms) each member's entry runs out: every member ages out on its own unless `touch` or a
 * new `watch` renews it, so a dead id is never kept alive by the joins of living ones. Readers skip
 * members past their time; `pruneStale` deletes them.
 */
export class RedisConnectionRegistry implements ConnectionRegistry {
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: { ttlSeconds?: number } = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_REGISTRY_TTL_SECONDS;
  }

  async register(connectionId: string, info: ConnectionInfo): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.connection(connectionId), { admin: info.admin ? '1' : '0', user: info.userId ?? '' })
      .expire(this.keys.connection(connectionId), this.ttlSeconds)
      .exec();
  }

  async remove(connectionId: string): Promise<void> {
    await this.redis.eval(
      REMOVE,
      3,
      this.keys.connection(connectionId),
      this.keys.connectionConcerts(connectionId),
      this.keys.admins,
      connectionId,
      this.keys.concertWatchers(''),
    );
  }

  async isAdmin(connectionId: string): Promise<boolean> {
    return (await this.redis.hget(this.keys.connection(connectionId), 'admin')) === '1';
  }

  async watch(connectionId: string, concertId: string, maxConcerts = 0): Promise<WatchOutcome> {
    const outcome = await this.redis.eval(
      WATCH,
      3,
      this.keys.connection(connectionId),
      this.keys.connectionConcerts(connectionId),
      this.keys.concertWatchers(concertId),
      connectionId,
      concertId,
      this.deadline(),
      this.ttlSeconds,
      maxConcerts,
    );
    return outcome as WatchOutcome;
  }

  async unwatch(connectionId: string, concertId: string): Promise<void> {
    await this.redis
      .multi()
      .zrem(this.keys.concertWatchers(concertId), connectionId)
      .srem(this.keys.connectionConcerts(connectionId), concertId)
      .exec();
  }

  async joinAdmins(connectionId: string): Promise<void> {
    await this.redis.eval(
      JOIN_ADMINS,
      2,
      this.keys.connection(connectionId),
      this.keys.admins,
      connectionId,
      this.deadline(),
      this.ttlSeconds,
    );
  }

  watchers(concertId: string): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.concertWatchers(concertId), Date.now(), '+inf');
  }

  admins(): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.admins, Date.now(), '+inf');
  }

  async touch(connectionIds: string[]): Promise<string[]> {
    if (connectionIds.length === 0) return [];
    const deadline = this.deadline();
    const read = this.redis.pipeline();
    for (const id of connectionIds) {
      read
        .expire(this.keys.connection(id), this.ttlSeconds)
        .expire(this.keys.connectionConcerts(id), this.ttlSeconds)
        .smembers(this.keys.connectionConcerts(id))
        // XX: only a member still there is renewed; a connection removed meanwhile stays removed.
        .zadd(this.keys.admins, 'XX', deadline, id);
    }
    const results = (await read.exec()) ?? [];
    const missing: string[] = [];
    const renew = this.redis.pipeline();
    connectionIds.forEach((id, i) => {
      const [known, , concerts] = results.slice(i * 4, i * 4 + 3).map(([error, value]) => {
        if (error) throw error;
        return value;
      });
      if (known !== 1) {
        missing.push(id);
        return;
      }
      for (const concertId of concerts as string[]) {
        renew
          .zadd(this.keys.concertWatchers(concertId), 'XX', deadline, id)
          .expire(this.keys.concertWatchers(concertId), this.ttlSeconds);
      }
    });
    renew.expire(this.keys.admins, this.ttlSeconds);
    await renew.exec();
    return missing;
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
      pruned += await this.redis.zremrangebyscore(set, '-inf', Date.now());
      const members = await this.redis.zrange(set, 0, -1);
      if (members.length === 0) continue;
      const exists = await Promise.all(members.map((id) => this.redis.exists(this.keys.connection(id))));
      const stale = members.filter((_, i) => exists[i] === 0);
      if (stale.length > 0) pruned += await this.redis.zrem(set, ...stale);
    }
    return pruned;
  }

  private deadline(): number {
    return Date.now() + this.ttlSeconds * 1000;
  }
}

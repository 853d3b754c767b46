import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnectionRegistry } from '../../functions/adapters/redis/redis-connection-registry';
import { redisKeys } from '../../functions/adapters/redis/redis-keys';
import { rawClient } from '../support/realtime-clients';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { startTestService, type TestService } from '../support/test-service';

/** Issue 14 item 3: the Redis registry (what the AWS relay reads) keeps no dead connection ids. */
describe('the Redis connection registry', () => {
  const prefix = testRedisPrefix();
  let redis: Redis;
  let t: TestService;

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    t = await startTestService({ REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    await t?.close();
    await dropRedisPrefix(prefix);
    redis.disconnect();
  });

  it('holds no dead ids after 600 connect / join / close cycles racing each other', async () => {
    const admin = await t.api.adminToken();
    const concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
    const registry = new RedisConnectionRegistry(redis, redisKeys(prefix));
    for (let batch = 0; batch < 15; batch++) {
      await Promise.all(
        Array.from({ length: 40 }, async () => {
          const client = await rawClient(t.service.url);
          const ended = new Promise((resolve) => client.socket.once('close', resolve));
          client.send({ action: 'join-concert', concertId: concert.id });
          client.socket.terminate();
          await ended;
        }),
      );
    }
    // Every close runs its $disconnect in the end; none may leave its id behind.
    await expect.poll(() => registry.watchers(concert.id)).toEqual([]);
  }, 120_000);

  it('ages out each member on its own: a live connection refreshing it keeps no dead one alive', async () => {
    const registry = new RedisConnectionRegistry(redis, redisKeys(prefix), { ttlSeconds: 1 });
    const concertId = '00000000-0000-4000-8000-0000000000aa';
    await registry.register('dead', { userId: null, admin: true });
    await registry.watch('dead', concertId);
    await registry.joinAdmins('dead');
    await registry.register('live', { userId: null, admin: true });
    await registry.watch('live', concertId);
    await registry.joinAdmins('live');

    // The live one is refreshed (heartbeats, frames) and joins again; the dead one never is.
    await expect
      .poll(async () => {
        expect(await registry.touch(['live'])).toEqual([]);
        await registry.watch('live', concertId);
        await sleep(200);
        return { watchers: await registry.watchers(concertId), admins: await registry.admins() };
      })
      .toEqual({ watchers: ['live'], admins: ['live'] });
    expect(await registry.touch(['dead', 'live'])).toEqual(['dead']);
  });

  it('refuses to watch for a connection it does not know (closed, or lost with Redis)', async () => {
    const registry = new RedisConnectionRegistry(redis, redisKeys(prefix));
    const concertId = '00000000-0000-4000-8000-0000000000bb';
    expect(await registry.watch('never-connected', concertId)).toBe('gone');
    expect(await registry.watchers(concertId)).toEqual([]);
    await registry.register('c1', { userId: null, admin: false });
    expect(await registry.watch('c1', concertId, 1)).toBe('watching');
    expect(await registry.watch('c1', '00000000-0000-4000-8000-0000000000cc', 1)).toBe('full');
    expect(await registry.watch('c1', concertId, 1)).toBe('watching');
    await registry.remove('c1');
    expect(await registry.watchers(concertId)).toEqual([]);
  });
});

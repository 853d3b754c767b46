import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventBus } from '../../functions/adapters/redis/redis-event-bus';
import { redisKeys } from '../../functions/adapters/redis/redis-keys';
import { adminNotification, type RealtimeMessage } from '../../functions/core/realtime';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';

// Outside attack F1 (issue 14 item 4's kind): one PUBLISH of `null` on the updates channel ended every replica.
const POISON = [
  'null',
  '"str"',
  '{"m":null}',
  '{"m":{"type":"concert-update"}}',
  '{"m":{"type":"concert-update","concertId":"c","availableTickets":0,"totalBooked":0,"tiers":[],"version":1},"t":{}}',
  'garbage{',
  '[]',
  '{"m":1}',
  '{"type":"admin-notification","event":null}',
  '{"type":"__proto__"}',
];

describe('Redis event bus: a malformed message is dropped, never fatal', () => {
  const prefix = testRedisPrefix();
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  const dropped: number[] = [];
  const heard: RealtimeMessage[] = [];
  const traces: unknown[] = [];
  const listenerErrors: unknown[] = [];
  let stop: (() => Promise<void>) | undefined;
  const keys = redisKeys(prefix);

  beforeAll(async () => {
    await redis.connect();
    const bus = new RedisEventBus(
      redis,
      keys,
      100,
      (length) => dropped.push(length),
      (error) => listenerErrors.push(error),
    );
    stop = await bus.subscribe((message, trace) => {
      heard.push(message);
      traces.push(trace);
      // A listener that fails (as the lag metric did on a NaN) is reported; the process goes on.
      if ('concertId' in message && message.concertId === 'throws') throw new Error('listener failed');
    });
  });

  afterAll(async () => {
    await stop?.();
    await dropRedisPrefix(prefix);
    redis.disconnect();
  });

  it('drops each poison payload, keeps the trace-less message, and still delivers the next good one', async () => {
    for (const payload of POISON) await redis.publish(keys.updatesChannel, payload);
    const failing = adminNotification({ event: 'concert-updated', concertId: 'throws' });
    await redis.publish(keys.updatesChannel, JSON.stringify(failing));
    const good = adminNotification({ event: 'concert-updated', concertId: 'c-1' });
    await redis.publish(
      keys.updatesChannel,
      JSON.stringify({ m: good, t: { requestIds: [], publishedAt: 1 } }),
    );

    await expect.poll(() => heard.map((m) => ('concertId' in m ? m.concertId : undefined))).toContain('c-1');
    // Nine dropped whole; the one with a bad trace is delivered without it.
    expect(dropped).toHaveLength(POISON.length - 1);
    expect(heard.map((m) => ('concertId' in m ? m.concertId : undefined))).toEqual(['c', 'throws', 'c-1']);
    expect(traces).toEqual([undefined, undefined, { requestIds: [], publishedAt: 1 }]);
    expect(listenerErrors).toHaveLength(1);
  });
});

import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The process's one Redis client (this module, and ioredis with it, is imported by configuration: see
 * buildServices), with the policy a sale needs: no offline queue and one retry per
 * request, so while Redis is away calls fail at once instead of piling up behind a sale (the callers
 * degrade: see docs/reliability.md). An unreachable Redis is logged at most every 10 s.
 * @param quietUntilReady the start-up check reports an unreachable Redis itself, in one line: until the
 *   first `ready`, errors are not logged here
 */
export function openRedis(url: string, logger: Logger, quietUntilReady: boolean): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  let lastReported = 0;
  let everReady = !quietUntilReady;
  redis.once('ready', () => {
    everReady = true;
  });
  redis.on('error', (error) => {
    if (everReady && Date.now() - lastReported > 10_000) {
      lastReported = Date.now();
      logger.warn({ err: error }, 'redis unavailable');
    }
  });
  return redis;
}

/** Closes the client: quit() waits for a connection a Redis that is away never gives, so then it is dropped. */
export async function closeRedis(redis: Redis | undefined): Promise<void> {
  await (redis?.status === 'ready' ? redis.quit() : Promise.resolve(redis?.disconnect()));
}

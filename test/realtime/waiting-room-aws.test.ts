import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayPusher } from '../../functions/adapters/aws/apigw-management-pusher';
import { JoseAdmissionTokens } from '../../functions/adapters/crypto/jose-admission-tokens';
import { redisKeys } from '../../functions/adapters/redis/redis-keys';
import { RedisQueueFollowers } from '../../functions/adapters/redis/redis-queue-followers';
import { RedisWaitingRoomStore } from '../../functions/adapters/redis/redis-waiting-room-store';
import { joinQueue, queueViews, type WaitingRoomDeps } from '../../functions/core/waiting-room.service';
import {
  AdmissionTicker,
  followQueue,
  QueuePositionFeed,
  unfollowQueues,
} from '../../functions/core/waiting-room-live';
import {
  type ManagementEndpointStandIn,
  startManagementEndpointStandIn,
} from '../support/management-endpoint-stand-in';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { concertsOf, MemoryAdmissionRepository, queuedConcert } from '../support/waiting-room-fakes';

/**
 * The AWS shape of the waiting room: `join-queue` on `$default` registers the follower in Redis (each
 * invocation a fresh container: nothing kept in memory between them), and the scheduled admission runs
 * step each second, send through PostToConnection, and overlap at the minute's handover under one lease.
 */
describe('the waiting room on AWS: Redis followers, scheduled admission runs, PostToConnection', () => {
  const prefix = testRedisPrefix();
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  let endpoint: ManagementEndpointStandIn;
  const concert = queuedConcert({}, { admissionPerMinute: 120 });
  /** A second concert, paused, whose organiser turns the waiting room off mid-sale. */
  const closing = queuedConcert({}, { admissionPerMinute: 120, paused: true });
  const admissions = new MemoryAdmissionRepository();

  /** What one Lambda container builds at cold start. */
  const container = () => {
    const keys = redisKeys(prefix);
    const deps: WaitingRoomDeps = {
      store: new RedisWaitingRoomStore(redis, keys),
      admissions,
      tokens: new JoseAdmissionTokens('a-test-secret-of-enough-length-0123456789'),
      concerts: concertsOf(concert, closing),
      now: Date.now,
      random: Math.random,
    };
    const followers = new RedisQueueFollowers(redis, keys);
    const pusher = new ApiGatewayPusher({
      endpoint: endpoint.url,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const feed = new QueuePositionFeed({
      followers,
      views: (concertId, userIds) => queueViews(deps, concertId, userIds),
      rejoin: (concertId, userId) => joinQueue(deps, { userId, role: 'customer' }, concertId),
      push: (connectionId, message) => pusher.post(connectionId, JSON.stringify(message)),
      now: Date.now,
    });
    return {
      deps,
      followers,
      feed,
      ticker: new AdmissionTicker(deps, { holder: randomUUID(), intervalMs: 250 }),
    };
  };

  beforeAll(async () => {
    endpoint = await startManagementEndpointStandIn();
  });
  afterAll(async () => {
    redis.disconnect();
    await endpoint?.close();
    await dropRedisPrefix(prefix);
  });

  it('follows from $default, admits once under overlapping runs, and tells each follower through the endpoint', async () => {
    const fans = Array.from({ length: 4 }, () => randomUUID());
    // Each join-queue is its own invocation: a new container every time.
    for (const [index, userId] of fans.entries()) {
      const answer = await followQueue(
        { ...container(), feed: undefined },
        `conn-${index}`,
        userId,
        concert.id,
      );
      expect(answer).toMatchObject({ type: 'queue-position', status: 'waiting', position: index + 1 });
    }
    const gone = container();
    await unfollowQueues(gone, 'conn-3'); // `$disconnect`
    expect((await gone.followers.list()).map((f) => f.connectionId).sort()).toEqual([
      'conn-0',
      'conn-1',
      'conn-2',
    ]);

    // Two scheduled runs overlap (the minute's handover): one lease, one admitter.
    const [first, second] = [container(), container()];
    const runs = await Promise.all([
      first.ticker.runFor(2_600, undefined, () => first.feed.refresh()),
      second.ticker.runFor(2_600, undefined, () => second.feed.refresh()),
    ]);
    const admitted = runs.reduce((sum, run) => sum + run.admitted, 0);
    // 120 a minute = 2 a second; ~2.6 s of 250 ms steps: 4 fans at most (never doubled by the overlap).
    expect(admitted).toBeGreaterThanOrEqual(3);
    expect(admitted).toBeLessThanOrEqual(4);
    expect(admissions.records.size).toBe(admitted);
    // The first fan heard it was admitted, with its token, through PostToConnection.
    const toFirst = endpoint.delivered('conn-0');
    expect(toFirst.at(-1)).toMatchObject({ type: 'queue-position', status: 'admitted' });
    expect(endpoint.delivered('conn-3')).toEqual([]);
    // Only the run that admits sends: overlapping runs never tell a follower the same thing twice (each
    // run's feed remembers only its own sends, so two sending runs doubled every message).
    for (const connection of ['conn-0', 'conn-1', 'conn-2']) {
      const bodies = endpoint.delivered(connection).map((message) => {
        const { admission, ...rest } = message as { admission?: { expiresAt: string } };
        return JSON.stringify({ ...rest, expiresAt: admission?.expiresAt });
      });
      expect(bodies.filter((body, index) => index > 0 && body === bodies[index - 1])).toEqual([]);
    }
  });

  it('review: the room turned off mid-sale, the run tells its followers once (admitted, waitingRoom off) and drops them', async () => {
    const userId = randomUUID();
    const joined = await followQueue({ ...container(), feed: undefined }, 'conn-off', userId, closing.id);
    expect(joined).toMatchObject({ status: 'waiting' });
    closing.waitingRoom = {
      ...(closing.waitingRoom as NonNullable<typeof closing.waitingRoom>),
      enabled: false,
    };
    const run = container();
    await run.ticker.runFor(600, undefined, () => run.feed.refresh());
    const delivered = endpoint.delivered('conn-off');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toEqual({
      type: 'queue-position',
      concertId: closing.id,
      status: 'admitted',
      waitingRoom: 'off',
    });
    expect((await run.followers.list()).some((f) => f.connectionId === 'conn-off')).toBe(false);
    await container().feed.refresh();
    expect(endpoint.delivered('conn-off')).toHaveLength(1);
  });

  it('forgets a follower whose connection is gone (410)', async () => {
    const userId = randomUUID();
    const one = container();
    await followQueue({ ...one, feed: undefined }, 'conn-gone', userId, concert.id);
    endpoint.always('conn-gone', 410);
    await one.feed.refresh();
    expect((await one.followers.list()).some((f) => f.connectionId === 'conn-gone')).toBe(false);
  });
});

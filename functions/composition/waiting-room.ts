import { randomBytes, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { JoseAdmissionTokens } from '../adapters/jose-admission-tokens';
import { MemoryWaitingRoomStore } from '../adapters/memory-waiting-room-store';
import { RateLimiterQueueJoinThrottle } from '../adapters/rate-limiter-queue-join-throttle';
import type { RedisKeys } from '../adapters/redis-keys';
import { RedisQueueFollowers } from '../adapters/redis-queue-followers';
import { RedisWaitingRoomStore } from '../adapters/redis-waiting-room-store';
import { SqlQueueAdmissionRepository } from '../adapters/sql-queue-admission-repository';
import type { ServiceConfig } from '../config/service-config';
import type { Principal } from '../core/model';
import { requireAdmission, type WaitingRoomDeps } from '../core/waiting-room.service';
import { AdmissionTicker, MemoryQueueFollowers, type QueueFollowers } from '../core/waiting-room-live';
import type { ConcertRepository } from '../ports/concert.repository.port';
import type { SqlDatabase } from '../ports/sql-database.port';

/** The waiting room as a process holds it (Services.waitingRoom). */
export interface WaitingRoomServices {
  /** For the HTTP and WebSocket handlers: concert reads from the process's cache. */
  deps: WaitingRoomDeps;
  /** For the admission steps: concert reads from the database (availability right now). */
  tickerDeps: WaitingRoomDeps;
  /** The admission ticker of this process (one admits at a time, by lease); started by long-running processes. */
  ticker: AdmissionTicker;
  /** Who follows a queue live: in Redis on Lambda (the admission Lambda sends), in memory elsewhere. */
  followers: QueueFollowers;
  /** The reservation gate (ReservationDeps.admission). */
  admission(principal: Principal, concertId: string, admissionToken: string | undefined): Promise<void>;
}

/** A uniform draw in [0, 1) from the operating system's CSPRNG (53 random bits). */
export function cryptoRandom(): number {
  return (randomInt(2 ** 26) * 2 ** 27 + randomInt(2 ** 27)) / 2 ** 53;
}

/**
 * Builds the waiting room: the queue in Redis when there is one (shared by every replica), else in memory
 * (embedded); admissions in the database; tokens signed with the service's JWT secret.
 * @param longRunning true for the shim and the embedded service: followers in memory, ticker started
 */
export function buildWaitingRoom(input: {
  config: ServiceConfig;
  logger: Logger;
  db: SqlDatabase;
  redis: Redis | undefined;
  keys: RedisKeys;
  signingKey: string;
  concerts: ConcertRepository;
  storedConcerts: ConcertRepository;
  longRunning: boolean;
}): WaitingRoomServices {
  const { config, logger, db, redis, keys } = input;
  const store = redis ? new RedisWaitingRoomStore(redis, keys) : new MemoryWaitingRoomStore();
  const tokens = new JoseAdmissionTokens(input.signingKey);
  const base = {
    store,
    admissions: new SqlQueueAdmissionRepository(db),
    tokens,
    now: Date.now,
    random: cryptoRandom,
    joinThrottle: new RateLimiterQueueJoinThrottle(
      config.queueJoinsPerAddressPerMinute,
      redis ? { client: redis, keyPrefix: config.redisKeyPrefix } : undefined,
    ),
  };
  const deps: WaitingRoomDeps = { ...base, concerts: input.concerts };
  // Which concerts have a waiting room may come from the cache; each step reads its concert from the database.
  const tickerDeps: WaitingRoomDeps = {
    ...base,
    concerts: { list: () => input.concerts.list(), get: (id) => input.storedConcerts.get(id) },
  };
  const ticker = new AdmissionTicker(tickerDeps, {
    holder: `${config.instanceId}:${randomBytes(6).toString('hex')}`,
    onError: (error) =>
      logger.warn({ err: error }, 'a waiting-room admission step failed; the next one retries'),
    onAdmitted: (steps) =>
      logger.info({ steps: steps.filter((step) => step.admitted > 0) }, 'waiting room admitted fans'),
  });
  const followers: QueueFollowers =
    redis && !input.longRunning ? new RedisQueueFollowers(redis, keys) : new MemoryQueueFollowers();
  return {
    deps,
    tickerDeps,
    ticker,
    followers,
    admission: (principal, concertId, admissionToken) =>
      requireAdmission(deps, principal, concertId, admissionToken),
  };
}

import { randomBytes, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { JoseAdmissionTokens } from '../adapters/crypto/jose-admission-tokens';
import { MemoryWaitingRoomStore } from '../adapters/memory/memory-waiting-room-store';
import { SqlQueueAdmissionRepository } from '../adapters/postgres/sql-queue-admission-repository';
import { RateLimiterQueueJoinThrottle } from '../adapters/redis/rate-limiter-queue-join-throttle';
import type { RedisKeys } from '../adapters/redis/redis-keys';
import { RedisQueueFollowers } from '../adapters/redis/redis-queue-followers';
import { RedisWaitingRoomStore } from '../adapters/redis/redis-waiting-room-store';
import type { ServiceConfig } from '../config/service-config';
import type { Principal } from '../core/model';
import type { QueuePositionMessage } from '../core/waiting-room';
import { joinQueue, queueViews, requireAdmission, type WaitingRoomDeps } from '../core/waiting-room.service';
import {
  AdmissionTicker,
  MemoryQueueFollowers,
  type QueueFollowers,
  type QueueLiveDeps,
  QueuePositionFeed,
} from '../core/waiting-room-live';
import type { ConcertRepository } from '../ports/concert.repository.port';
import type { EventBus } from '../ports/event-bus.port';
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
  /** What `join-queue` needs (WebSocket handlers and the Socket.IO gateway). */
  live: QueueLiveDeps;
  /**
   * A feed sending through `send` (the admission Lambda: PostToConnection). Long-running processes have
   * their own in `live.feed`, refreshed every second and on every concert change.
   */
  feedThrough(send: QueueSend): QueuePositionFeed;
  /**
   * Long-running processes: a transport (the raw WebSocket gateway, Socket.IO) says how to send to its own
   * connections; `not-mine` passes the message to the next one.
   */
  deliverThrough(
    send: (connectionId: string, message: QueuePositionMessage) => 'sent' | 'gone' | 'not-mine',
  ): void;
  /** Starts the ticker and the feed (long-running processes). */
  start(): void;
  close(): Promise<void>;
}

/** Sends one `queue-position` to one connection. */
export type QueueSend = (connectionId: string, message: QueuePositionMessage) => Promise<'sent' | 'gone'>;

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
  /** Concert reads for the reservation gate (only the organiser's settings are used); default `concerts`. */
  gateConcerts?: Pick<ConcertRepository, 'get'> | undefined;
  bus: EventBus;
  longRunning: boolean;
}): WaitingRoomServices {
  const { config, logger, db, redis, keys } = input;
  const store = redis ? new RedisWaitingRoomStore(redis, keys) : new MemoryWaitingRoomStore();
  const admissions = new SqlQueueAdmissionRepository(db);
  const tokens = new JoseAdmissionTokens(input.signingKey);
  const base = {
    store,
    admissions,
    tokens,
    now: Date.now,
    random: cryptoRandom,
    joinThrottle: new RateLimiterQueueJoinThrottle(
      config.queueJoinsPerAddressPerMinute,
      redis ? { client: redis, keyPrefix: config.redisKeyPrefix } : undefined,
    ),
  };
  const deps: WaitingRoomDeps = { ...base, concerts: input.concerts };
  // The ticker finds its concerts with one light query and reads each from the database (never the
  // read cache: its availability must be now's, and its reads must not count as the cache's).
  const tickerDeps: WaitingRoomDeps = {
    ...base,
    concerts: input.storedConcerts,
    queuedConcertIds: () => admissions.queuedConcertIds(),
  };
  const followers: QueueFollowers =
    redis && !input.longRunning ? new RedisQueueFollowers(redis, keys) : new MemoryQueueFollowers();
  const feedThrough = (send: QueueSend) =>
    new QueuePositionFeed({
      followers,
      views: (concertId, userIds) => queueViews(deps, concertId, userIds),
      rejoin: (concertId, userId, lastPosition) =>
        joinQueue(deps, { userId, role: 'customer' }, concertId, { rejoin: { lastPosition } }),
      push: send,
      now: Date.now,
    });
  const transports: Array<
    (connectionId: string, message: QueuePositionMessage) => 'sent' | 'gone' | 'not-mine'
  > = [];
  const feed = input.longRunning
    ? feedThrough(async (connectionId, message) => {
        for (const send of transports) {
          const outcome = send(connectionId, message);
          if (outcome !== 'not-mine') return outcome;
        }
        return 'gone';
      })
    : undefined;
  const refresh = () => {
    void feed
      ?.refresh()
      .catch((error: unknown) => logger.warn({ err: error }, 'queue positions not refreshed'));
  };
  const ticker = new AdmissionTicker(tickerDeps, {
    holder: `${config.instanceId}:${randomBytes(6).toString('hex')}`,
    onError: (error) =>
      logger.warn({ err: error }, 'a waiting-room admission step failed; the next one retries'),
    onAdmitted: (steps) => {
      logger.info({ steps: steps.filter((step) => step.admitted > 0) }, 'waiting room admitted fans');
      refresh();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  return {
    deps,
    tickerDeps,
    ticker,
    followers,
    admission: (principal, concertId, admissionToken) =>
      requireAdmission(
        { concerts: input.gateConcerts ?? deps.concerts, tokens: deps.tokens },
        principal,
        concertId,
        admissionToken,
      ),
    live: { deps, followers, feed },
    feedThrough,
    deliverThrough: (send) => {
      transports.push(send);
    },
    start: () => {
      ticker.start();
      if (!feed || timer) return;
      timer = setInterval(refresh, 1_000);
      timer.unref?.();
      // A concert change (a sell-out, tickets back, a pause) reaches its followers at once.
      void input.bus
        .subscribe((message) => {
          if (message.type === 'concert-update') refresh();
        })
        .then((stop) => {
          unsubscribe = stop;
        })
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'queue feed not subscribed to concert changes'),
        );
    },
    close: async () => {
      clearInterval(timer);
      await unsubscribe?.().catch(() => {});
      await ticker.stop();
    },
  };
}

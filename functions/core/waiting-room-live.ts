import { TicketingError } from './errors';
import type { QueuePositionMessage, QueueView } from './waiting-room';
import {
  ADMISSION_LEASE,
  type AdmissionStep,
  admitAll,
  joinQueue,
  type WaitingRoomDeps,
} from './waiting-room.service';

/**
 * The one admission ticker: every `intervalMs` it takes or renews the admission lease in the queue's
 * store and, only while it holds it, runs one admission step for every waiting-room concert. Any number
 * of processes may run one (every replica does); one admits at a time. A holder that dies loses the lease
 * after `leaseMs` and another takes over; pacing lives in the store, so the rate carries on unchanged.
 */
export class AdmissionTicker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: WaitingRoomDeps,
    private readonly options: {
      /** Who this ticker is (unique per process). */
      holder: string;
      /** Between steps (ms); default 1000. */
      intervalMs?: number;
      /** How long the lease lasts unless renewed (ms); default 5000. */
      leaseMs?: number;
      onError?: (error: unknown) => void;
      /** Told of every step that admitted somebody (metrics, logs, feeds). */
      onAdmitted?: (steps: AdmissionStep[]) => void;
    },
  ) {}

  /** One step if this ticker holds (or now takes) the lease: the steps run, or null when another leads. */
  async tick(): Promise<AdmissionStep[] | null> {
    const { holder, leaseMs = 5_000 } = this.options;
    if (!(await this.deps.store.lease(ADMISSION_LEASE, holder, leaseMs))) return null;
    const steps = await admitAll(this.deps, this.deps.now());
    if (steps.some((step) => step.admitted > 0)) this.options.onAdmitted?.(steps);
    return steps;
  }

  /** Ticks every `intervalMs` until stopped (long-running processes); a failed tick is reported, not fatal. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running = this.tick().catch((error: unknown) => this.options.onError?.(error));
    }, this.options.intervalMs ?? 1_000);
    this.timer.unref?.();
  }

  /** Stops ticking and gives the lease up, so another process takes over at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.deps.store.releaseLease(ADMISSION_LEASE, this.options.holder).catch(() => {});
  }

  /**
   * Ticks for `runForMs` then returns (the scheduled Lambda, once a minute: it admits in steps over its
   * minute). `afterTick` (the run's feed) runs after each tick this run led, never after one another
   * run led: two overlapping runs each have their own feed, and both sending would tell every follower
   * everything twice (more than one `queue-position` a second). Answers how many fans it admitted and
   * whether it ever led.
   */
  async runFor(
    runForMs: number,
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    afterTick?: () => Promise<void>,
  ): Promise<{ admitted: number; ticks: number; led: boolean }> {
    const started = this.deps.now();
    const interval = this.options.intervalMs ?? 1_000;
    let admitted = 0;
    let ticks = 0;
    let led = false;
    while (this.deps.now() - started < runForMs) {
      const before = this.deps.now();
      try {
        const steps = await this.tick();
        if (steps) {
          led = true;
          admitted += steps.reduce((sum, step) => sum + step.admitted, 0);
          await afterTick?.();
        }
      } catch (error) {
        this.options.onError?.(error);
      }
      ticks++;
      await sleep(Math.max(0, interval - (this.deps.now() - before)));
    }
    await this.deps.store.releaseLease(ADMISSION_LEASE, this.options.holder).catch(() => {});
    return { admitted, ticks, led };
  }
}

/** One live follower of a queue: a connection (WebSocket or Socket.IO) of a signed-in fan. */
export interface QueueFollower {
  connectionId: string;
  userId: string;
  concertId: string;
}

/** Who follows which queue: in memory per process (containers, embedded), in Redis on AWS. */
export interface QueueFollowers {
  add(follower: QueueFollower): Promise<void>;
  /** Forgets the connection's follow of `concertId`, or of every queue when none is given. */
  remove(connectionId: string, concertId?: string): Promise<void>;
  list(): Promise<QueueFollower[]>;
}

/** Followers in this process's memory. */
export class MemoryQueueFollowers implements QueueFollowers {
  private readonly byConnection = new Map<string, Map<string, string>>();

  async add({ connectionId, userId, concertId }: QueueFollower): Promise<void> {
    let concerts = this.byConnection.get(connectionId);
    if (!concerts) {
      concerts = new Map();
      this.byConnection.set(connectionId, concerts);
    }
    concerts.set(concertId, userId);
  }

  async remove(connectionId: string, concertId?: string): Promise<void> {
    if (concertId === undefined) this.byConnection.delete(connectionId);
    else this.byConnection.get(connectionId)?.delete(concertId);
  }

  async list(): Promise<QueueFollower[]> {
    return [...this.byConnection].flatMap(([connectionId, concerts]) =>
      [...concerts].map(([concertId, userId]) => ({ connectionId, userId, concertId })),
    );
  }

  get size(): number {
    return this.byConnection.size;
  }
}

/** What the feed needs: the views, a re-join for a lost place, and a way to send. */
export interface QueueFeedDeps {
  followers: QueueFollowers;
  views(concertId: string, userIds: readonly string[]): Promise<Array<QueueView | null>>;
  /**
   * Gives a follower whose place was lost (the store was lost) a new one: joinQueue with the origin
   * `{rejoin: {lastPosition}}` (the waiting position it last saw, null when unknown).
   */
  rejoin(concertId: string, userId: string, lastPosition: number | null): Promise<QueueView>;
  /** Sends one message; `gone` forgets the follower. */
  push(connectionId: string, message: QueuePositionMessage): Promise<'sent' | 'gone'>;
  now(): number;
}

/** Least time between two `queue-position` messages to one follower when the status stays the same (ms). */
export const QUEUE_UPDATE_MIN_INTERVAL_MS = 1_000;

interface Sent {
  status: QueueView['status'];
  /** The message without its token (re-signed each time): a change of anything else is news. */
  body: string;
  atMs: number;
  /** The waiting position last seen (null unless waiting): a follower that lost its place is re-queued by it. */
  position: number | null;
}

/**
 * Keeps every follower's `queue-position` current: `refresh` (once a second, and when a concert changes)
 * reads all their places in one batch per concert and sends what changed, at most once a second per
 * follower, except a change of status (admitted, sold out, window expired), which goes out at once.
 * A follower whose place was lost with the queue's store is re-queued with a score from the waiting
 * position it last saw (`rejoinScore`: the merged order is the same whatever replica re-joins first;
 * unknown positions join as new arrivals) and told so (`requeued: true`).
 */
export class QueuePositionFeed {
  private readonly sent = new Map<string, Sent>();
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly deps: QueueFeedDeps) {}

  /** Records what the follower was just answered (the `join-queue` reply), so the next change counts from it. */
  answered(follower: QueueFollower, view: QueueView): void {
    this.sent.set(keyOf(follower), sentOf(view, this.deps.now()));
  }

  /**
   * Whether a `join-queue` of this follower deserves an answer: yes for the first, for one after the
   * follower's second (QUEUE_UPDATE_MIN_INTERVAL_MS) has passed, and for any change; no for the same
   * view again within the second (a client repeating join-queue gets one answer, not one per frame).
   * Records what it lets through, as `answered`.
   */
  answerJoin(follower: QueueFollower, view: QueueView): boolean {
    const key = keyOf(follower);
    const now = this.deps.now();
    const fresh = sentOf(view, now);
    const last = this.sent.get(key);
    if (last && last.body === fresh.body && now - last.atMs < QUEUE_UPDATE_MIN_INTERVAL_MS) return false;
    this.sent.set(key, fresh);
    return true;
  }

  forget(connectionId: string, concertId?: string): void {
    for (const key of this.sent.keys()) {
      if (key.startsWith(`${connectionId}|`) && (concertId === undefined || key.endsWith(`|${concertId}`)))
        this.sent.delete(key);
    }
  }

  /** One refresh at a time; a call during one makes exactly one more after it. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          await this.refreshOnce();
        } while (this.again);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    const byConcert = new Map<string, QueueFollower[]>();
    for (const follower of await this.deps.followers.list()) {
      const list = byConcert.get(follower.concertId) ?? [];
      list.push(follower);
      byConcert.set(follower.concertId, list);
    }
    for (const [concertId, followers] of byConcert) {
      const views = await this.deps.views(
        concertId,
        followers.map((follower) => follower.userId),
      );
      const lost: QueueFollower[] = [];
      await Promise.all(
        followers.map(async (follower, index) => {
          const view = views[index];
          if (view === null || view === undefined) lost.push(follower);
          else if (view.waitingRoom === 'off') {
            // The room was turned off: one last message (reserve directly), then this queue is not followed.
            await this.offer(follower, view, true);
            this.sent.delete(keyOf(follower));
            await this.deps.followers.remove(follower.connectionId, concertId);
          } else await this.offer(follower, view);
        }),
      );
      // Re-join after a loss: each scored by the waiting position it last saw (the same order whatever
      // replica goes first); unknown positions last, as arrivals, in last-seen order of this replica.
      lost.sort(
        (a, b) =>
          (this.sent.get(keyOf(a))?.position ?? Number.MAX_SAFE_INTEGER) -
          (this.sent.get(keyOf(b))?.position ?? Number.MAX_SAFE_INTEGER),
      );
      for (const follower of lost) {
        const lastPosition = this.sent.get(keyOf(follower))?.position ?? null;
        const view = await this.deps.rejoin(concertId, follower.userId, lastPosition).catch(() => null);
        if (!view) {
          await this.deps.followers.remove(follower.connectionId, concertId);
          continue;
        }
        await this.offer(follower, { ...view, requeued: true }, true);
      }
    }
  }

  /** Sends the view when it is news and the follower's second has passed (or the status changed). */
  private async offer(follower: QueueFollower, view: QueueView, force = false): Promise<void> {
    const key = keyOf(follower);
    const now = this.deps.now();
    const fresh = sentOf(view, now);
    const last = this.sent.get(key);
    if (!force && last) {
      if (last.body === fresh.body) return;
      if (last.status === fresh.status && now - last.atMs < QUEUE_UPDATE_MIN_INTERVAL_MS) return;
    }
    this.sent.set(key, fresh);
    const message: QueuePositionMessage = { type: 'queue-position', concertId: follower.concertId, ...view };
    const outcome = await this.deps.push(follower.connectionId, message).catch(() => 'sent' as const);
    if (outcome === 'gone') {
      this.sent.delete(key);
      await this.deps.followers.remove(follower.connectionId);
    }
  }
}

const keyOf = (follower: QueueFollower) => `${follower.connectionId}|${follower.concertId}`;

function sentOf(view: QueueView, atMs: number): Sent {
  const { admission, requeued: _requeued, ...rest } = view;
  return {
    status: view.status,
    body: JSON.stringify({ ...rest, expiresAt: admission?.expiresAt }),
    atMs,
    position: view.status === 'waiting' ? (view.position ?? null) : null,
  };
}

/** What `join-queue` needs: the use cases' deps, who follows, and this process's feed (servers only). */
export interface QueueLiveDeps {
  deps: WaitingRoomDeps;
  followers: QueueFollowers;
  /** The process's feed, told what a new follower was answered; absent on Lambda (the schedule sends). */
  feed?: Pick<QueuePositionFeed, 'answerJoin' | 'forget'> | undefined;
}

/**
 * `join-queue` (raw WebSocket, Socket.IO, API Gateway's `$default`): takes or finds the fan's place (as
 * POST /api/concerts/{id}/queue does), follows the queue from this connection and answers the
 * `queue-position` at once; later ones come from the feed, at most once a second and on every change of
 * status. A repeated `join-queue` on the same connection within the second is answered only when the
 * view changed (null: send nothing); without a feed (Lambda) every join is answered.
 * @param userId the connection's signed-in fan (its token at connect, or Socket.IO's handshake); null: none
 * @param clientAddress the connection's client address (TRUST_PROXY applied): joins are limited per address
 * @throws TicketingError UNAUTHORIZED (no signed-in fan), NOT_FOUND, QUEUE_NOT_OPEN, RATE_LIMITED
 */
export async function followQueue(
  live: QueueLiveDeps,
  connectionId: string,
  userId: string | null,
  concertId: string,
  clientAddress?: string,
): Promise<QueuePositionMessage | null> {
  if (!userId) {
    throw new TicketingError('UNAUTHORIZED', 'join-queue needs a signed-in fan: connect with ?token=');
  }
  const view = await joinQueue(live.deps, { userId, role: 'customer' }, concertId, { clientAddress });
  const follower = { connectionId, userId, concertId };
  await live.followers.add(follower);
  if (live.feed && !live.feed.answerJoin(follower, view)) return null;
  return { type: 'queue-position', concertId, ...view };
}

/** A connection closed: it follows no queue any more. */
export async function unfollowQueues(live: QueueLiveDeps, connectionId: string): Promise<void> {
  live.feed?.forget(connectionId);
  await live.followers.remove(connectionId);
}

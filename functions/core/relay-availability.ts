import { type ConnectionPusher, PushFailure } from '../ports/connection-pusher.port';
import type { ConnectionRegistry } from '../ports/connection-registry.port';
import type { EventTrace } from '../ports/event-bus.port';
import type {
  RelayPostOutcome,
  RelayShard,
  RelayShardLimits,
  RelayShardResult,
  RelayShardRunner,
} from '../ports/relay-shards.port';
import type { RelayLease, RelayStream, StreamEntry } from '../ports/relay-stream.port';
import { mergeTraces } from './event-trace';
import {
  type ConcertUpdateMessage,
  type FanMessage,
  forTheFan,
  type RealtimeMessage,
  type WaitlistOfferMessage,
} from './realtime';

export interface RelayDeps {
  stream: RelayStream;
  registry: ConnectionRegistry;
  pusher: ConnectionPusher;
  /**
   * Where the posts go when not from this event loop: each delivery is split by connection into
   * `shards.shards` slices run in parallel (worker threads, parallel relay Lambdas). A slice whose runner
   * fails is posted here with `pusher`. Without it, every post goes from here.
   */
  shards?: RelayShardRunner;
  /** Told of each message delivered: for the delivery log line (with its requests) and the lag metric. */
  observe?: (delivery: RelayDelivery) => void;
  /** Told of each message given up on, for some or all of its recipients: for a log line and a metric. */
  onSkip?: (skip: RelaySkip) => void;
}

export interface RelayDelivery {
  message: RealtimeMessage;
  trace: EventTrace | undefined;
  recipients: number;
  delivered: number;
  /** From publication to the last post of this message; undefined without a trace. */
  lagMs: number | undefined;
}

import type { RelaySkipReason } from './relay-skip-reasons';

export { RELAY_SKIP_REASONS, type RelaySkipReason } from './relay-skip-reasons';

export interface RelaySkip {
  reason: RelaySkipReason;
  /** Undefined for a malformed entry. */
  message: RealtimeMessage | undefined;
  trace: EventTrace | undefined;
  /** The stream entry, for a malformed one. */
  entryId?: string;
  /** Recipients that did not get the message for this reason (0 for a malformed entry). */
  recipients: number;
  /** The frame's size in UTF-8 bytes (with `too-large`). */
  bytes?: number;
  /** The last failure, for the log line. */
  error?: string;
}

export interface RelayRetryPolicy {
  /** Posts of one message to one connection, the first included (default 4). */
  attempts: number;
  /** The first pause, ms; it doubles each time, with full jitter (default 100). */
  baseDelayMs: number;
  /** The longest pause, ms (default 2 000). */
  maxDelayMs: number;
}

export interface RelayOptions {
  /** Stop reading after this long (ms), so the run fits its scheduled invocation. */
  runForMs: number;
  batchSize?: number;
  blockMs?: number;
  /** How long (ms) the leader lease lasts unless renewed (default 30 000); renewed every third of it. */
  leaseMs?: number;
  /**
   * Posts in flight at once (default RELAY_CONCURRENCY). Each worker takes the next post as soon as its
   * own is answered, so one slow post holds up only its worker, never a whole slice.
   */
  concurrency?: number;
  retry?: Partial<RelayRetryPolicy>;
  /**
   * Ms after `runForMs` during which the batch in hand may still be posted and retried (default 30 000);
   * posts not started by then are skipped as `out-of-time`, so a stalled endpoint cannot hold the run (and
   * its uncommitted position) past the Lambda's timeout (120 s for 50 s runs).
   */
  overrunMs?: number;
}

export interface RelayReport {
  leader: boolean;
  events: number;
  delivered: number;
  gone: number;
  /** Posts given up on (every reason but `malformed`), and malformed entries passed over. */
  skipped: number;
  position: string | null;
  /** The longest time from publication to delivery in this run. */
  maxLagMs: number | null;
}

/**
 * Posts in flight at once per relay run. At API Gateway's ~20 ms per PostToConnection, 200 workers post
 * ~10,000 a second: one update reaches 10,000 connections in about a second. API Gateway's account-level
 * throttle (10,000 requests/s by default, docs.aws.amazon.com/apigateway/latest/developerguide/limits.html)
 * answers 429 beyond that, retried with back-off like any throttling. The pusher's HTTP agent must allow
 * as many sockets (ApiGatewayPusher's `maxSockets`).
 */
export const RELAY_CONCURRENCY = 200;
const DEFAULT_RETRY: RelayRetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 };
const encoder = new TextEncoder();

/**
 * One bounded run of the relay (DESIGN.md, "Real-time protocol"): the single leader reads the stream from
 * the stored position, posts each concert's latest update to its watchers and each admin notice to the
 * admins, drops connections that are gone, and stores the new position. A new leader resumes from there.
 *
 * One message or one connection never stops the stream: a post that is throttled (429) or fails (5xx,
 * timeout) is retried with back-off, then given up; a message over the pusher's size limit (API Gateway:
 * 128 KB) is measured and skipped before any post; a refused post (403) is not retried; an entry that does
 * not parse is passed over. Each is reported through `onSkip`, and the position moves past it. A 410 drops
 * the connection. The lease is renewed every third of `leaseMs` while the run works, busy or idle.
 * Rejects only when the stream or the registry fails (Redis lost): the position then stays where it was.
 */
export async function relayAvailability(deps: RelayDeps, options: RelayOptions): Promise<RelayReport> {
  const report: RelayReport = {
    leader: false,
    events: 0,
    delivered: 0,
    gone: 0,
    skipped: 0,
    position: null,
    maxLagMs: null,
  };
  const leaseMs = options.leaseMs ?? 30_000;
  const lease = await deps.stream.acquireLease(leaseMs);
  if (!lease) return report;
  report.leader = true;
  const deadline = Date.now() + options.runForMs;
  const heartbeat = keepLease(lease, leaseMs);
  try {
    let position = await deps.stream.position();
    while (Date.now() < deadline && !heartbeat.lost) {
      const blockMs = Math.max(1, Math.min(options.blockMs ?? 1_000, deadline - Date.now()));
      const entries = await deps.stream.read(position, options.batchSize ?? 500, blockMs);
      if (entries.length === 0) continue;
      // A deposed leader stops before posting: the new one delivers from the stored position.
      if (heartbeat.lost) break;
      const last = entries[entries.length - 1] as StreamEntry;
      await deliver(deps, entries, report, {
        concurrency: options.concurrency ?? RELAY_CONCURRENCY,
        retry: { ...DEFAULT_RETRY, ...options.retry },
        postUntil: deadline + (options.overrunMs ?? 30_000),
      });
      report.events += entries.length;
      if (!(await deps.stream.commit(lease, last.id))) break;
      position = last.id;
      report.position = position;
    }
  } finally {
    heartbeat.stop();
    await lease.release();
  }
  return report;
}

/**
 * Renews `lease` every third of its life until stopped, whatever the run is doing (reading, posting,
 * backing off), so a busy leader keeps it. A failed renewal (Redis unreachable) is tried again at the next
 * beat; `lost` turns true only when the lease is known to be someone else's.
 */
function keepLease(lease: RelayLease, leaseMs: number) {
  const state = { lost: false, stop: () => clearInterval(timer) };
  let renewing = false;
  const timer = setInterval(
    () => {
      if (renewing || state.lost) return;
      renewing = true;
      lease
        .renew()
        .then((held) => {
          if (!held) state.lost = true;
        })
        .catch(() => undefined)
        .finally(() => {
          renewing = false;
        });
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  timer.unref?.();
  return state;
}

interface Outgoing {
  message: RealtimeMessage;
  trace: EventTrace | undefined;
  recipients: string[];
  delivered: number;
  failures: Map<RelaySkipReason, { recipients: number; error: string | undefined }>;
  /** Skipped for every recipient before any post (too large). */
  skippedWhole: boolean;
  /** What is posted, when not `message` itself (a fan's message without the bus's addressing). */
  sent?: WaitlistOfferMessage;
}

type DeliveryLimits = RelayShardLimits;

/**
 * Splits posts into `count` shards by connection (a hash of its id): every post lands in exactly one
 * shard, all of one connection's posts in the same one, in their original order. Shards may be empty.
 */
export function splitByConnection(
  posts: Array<[number, string]>,
  count: number,
): Array<Array<[number, string]>> {
  const shards = Array.from({ length: Math.max(1, count) }, () => [] as Array<[number, string]>);
  for (const post of posts) (shards[shardOf(post[1], shards.length)] as Array<[number, string]>).push(post);
  return shards;
}

/** FNV-1a of the connection id, modulo `count`. */
function shardOf(connectionId: string, count: number): number {
  if (count === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < connectionId.length; i++) {
    hash ^= connectionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % count;
}

/**
 * Posts one shard (a relay worker's slice, or the whole delivery): `limits.concurrency` workers, each
 * taking the next post as soon as its own is answered, so one slow post holds up only its worker. Every
 * post is retried by {@link postWithRetries}; a connection found gone gets no further post in this shard.
 * Never rejects: each failure is an outcome. `outcomes[i]` answers `shard.posts[i]` (undefined: skipped
 * because its connection was gone).
 */
export async function postShard(pusher: ConnectionPusher, shard: RelayShard): Promise<RelayShardResult> {
  const outcomes: RelayPostOutcome[] = new Array(shard.posts.length);
  const gone = new Set<string>();
  let next = 0;
  const worker = async () => {
    while (next < shard.posts.length) {
      const index = next++;
      const [frame, connectionId] = shard.posts[index] as [number, string];
      if (gone.has(connectionId)) continue;
      const outcome = await postWithRetries(pusher, connectionId, shard.frames[frame] ?? '', shard.limits);
      if (outcome === 'sent') outcomes[index] = 0;
      else if (outcome === 'gone') {
        gone.add(connectionId);
        outcomes[index] = 1;
      } else outcomes[index] = [outcome.reason, outcome.error];
    }
  };
  await Promise.all(Array.from({ length: Math.min(shard.limits.concurrency, shard.posts.length) }, worker));
  return { outcomes };
}

async function deliver(deps: RelayDeps, entries: StreamEntry[], report: RelayReport, limits: DeliveryLimits) {
  // Within a batch only each concert's newest snapshot matters (carrying all the batch's requests);
  // admin notices all go, in order.
  const latest = new Map<string, { update: ConcertUpdateMessage; trace: EventTrace | undefined }>();
  const notices: Array<{ message: RealtimeMessage; trace: EventTrace | undefined }> = [];
  const fanMessages: Array<{ message: FanMessage; trace: EventTrace | undefined }> = [];
  for (const { id, message, trace } of entries) {
    if (!message) {
      report.skipped++;
      deps.onSkip?.({ reason: 'malformed', message: undefined, trace, entryId: id, recipients: 0 });
      continue;
    }
    // A fan's own message (a waiting-list offer) goes to that fan's connections only, never to the feed.
    if (message.type === 'waitlist-offer') {
      fanMessages.push({ message, trace });
      continue;
    }
    if (message.type !== 'concert-update') {
      notices.push({ message, trace });
      continue;
    }
    const held = latest.get(message.concertId);
    const merged = held?.trace && trace ? mergeTraces(held.trace, trace) : (trace ?? held?.trace);
    latest.set(message.concertId, {
      update: !held || held.update.version < message.version ? message : held.update,
      trace: merged,
    });
  }
  const outgoing: Outgoing[] = [];
  const item = (message: RealtimeMessage, trace: EventTrace | undefined, recipients: string[]) => ({
    message,
    trace,
    recipients,
    delivered: 0,
    failures: new Map(),
    skippedWhole: false,
  });
  for (const { update, trace } of latest.values())
    outgoing.push(item(update, trace, await deps.registry.watchers(update.concertId)));
  if (notices.length > 0) {
    const admins = await deps.registry.admins();
    for (const { message, trace } of notices) outgoing.push(item(message, trace, admins));
  }
  for (const { message, trace } of fanMessages)
    outgoing.push({
      ...item(message, trace, await deps.registry.fans(message.userId)),
      sent: forTheFan(message),
    });
  const posts: Array<{ item: Outgoing; connectionId: string; frame: string }> = [];
  for (const each of outgoing) {
    const frame = JSON.stringify(each.sent ?? each.message);
    const limit = deps.pusher.maxMessageBytes;
    const bytes = limit === undefined ? 0 : encoder.encode(frame).byteLength;
    if (limit !== undefined && bytes > limit) {
      // Measured once, skipped for everyone: no post could carry it.
      report.skipped += each.recipients.length;
      deps.onSkip?.({
        reason: 'too-large',
        message: each.message,
        trace: each.trace,
        recipients: each.recipients.length,
        bytes,
        error: `${bytes} bytes is over the ${limit}-byte message limit`,
      });
      each.skippedWhole = true;
      continue;
    }
    for (const connectionId of each.recipients) posts.push({ item: each, connectionId, frame });
  }
  const frames: string[] = [];
  const frameOf = new Map<Outgoing, number>();
  for (const post of posts) {
    if (!frameOf.has(post.item)) {
      frameOf.set(post.item, frames.length);
      frames.push(post.frame);
    }
  }
  const items = [...frameOf.keys()];
  const shards = splitByConnection(
    posts.map(({ item, connectionId }): [number, string] => [frameOf.get(item) ?? 0, connectionId]),
    deps.shards?.shards ?? 1,
  );
  const results = await Promise.all(
    shards.map(async (shardPosts) => {
      const shard: RelayShard = { frames, posts: shardPosts, limits };
      if (shardPosts.length === 0) return { shard, result: { outcomes: [] } };
      const runner = deps.shards;
      if (runner) {
        try {
          return { shard, result: await runner.run(shard) };
        } catch {
          // The worker or invocation is lost, not the posts: this event loop posts that slice itself.
        }
      }
      return { shard, result: await postShard(deps.pusher, shard) };
    }),
  );
  const gone = new Set<string>();
  for (const { shard, result } of results) {
    shard.posts.forEach(([frame, connectionId], i) => {
      const outcome = result.outcomes[i];
      const item = items[frame] as Outgoing;
      if (outcome === 0) {
        report.delivered++;
        item.delivered++;
      } else if (outcome === 1) gone.add(connectionId);
      else if (Array.isArray(outcome)) {
        report.skipped++;
        const [reason, error] = outcome;
        const failure = item.failures.get(reason) ?? { recipients: 0, error: undefined };
        failure.recipients++;
        failure.error = error;
        item.failures.set(reason, failure);
      }
      // Otherwise not posted: the connection was found gone earlier in the same shard.
    });
  }
  for (const connectionId of gone) await deps.registry.remove(connectionId);
  report.gone += gone.size;
  const now = Date.now();
  for (const { message, trace, recipients, delivered, failures, skippedWhole } of outgoing) {
    for (const [reason, { recipients: missed, error }] of failures)
      deps.onSkip?.({ reason, message, trace, recipients: missed, error });
    if (skippedWhole) continue;
    const lagMs = trace ? Math.max(0, now - trace.publishedAt) : undefined;
    if (lagMs !== undefined) report.maxLagMs = Math.max(report.maxLagMs ?? 0, lagMs);
    deps.observe?.({ message, trace, recipients: recipients.length, delivered, lagMs });
  }
}

type PostOutcome = 'sent' | 'gone' | { reason: PushFailure['kind'] | 'out-of-time'; error: string };

/**
 * One message to one connection: retried with exponential back-off and full jitter while the failure is
 * retryable (throttled, unavailable, or anything unexpected), up to `retry.attempts` posts.
 */
async function postWithRetries(
  pusher: ConnectionPusher,
  connectionId: string,
  frame: string,
  limits: DeliveryLimits,
): Promise<PostOutcome> {
  let failure: PushFailure | undefined;
  for (let attempt = 1; ; attempt++) {
    if (Date.now() >= limits.postUntil) {
      return { reason: failure?.kind ?? 'out-of-time', error: failure?.message ?? 'the run ran out of time' };
    }
    try {
      return await pusher.post(connectionId, frame);
    } catch (error) {
      failure =
        error instanceof PushFailure
          ? error
          : new PushFailure('unavailable', error instanceof Error ? error.message : String(error), {
              cause: error,
            });
    }
    const pause =
      Math.random() * Math.min(limits.retry.maxDelayMs, limits.retry.baseDelayMs * 2 ** (attempt - 1));
    if (!failure.retryable || attempt >= limits.retry.attempts || Date.now() + pause >= limits.postUntil) {
      return { reason: failure.kind, error: failure.message };
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

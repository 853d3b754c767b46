import type { PushFailureKind } from './connection-pusher.port';

/** How long each post may be retried, and how many run at once, within one shard. */
export interface RelayShardLimits {
  /** Posts in flight at once within this shard. */
  concurrency: number;
  retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  /** No post or retry starts after this instant (epoch ms). */
  postUntil: number;
}

/**
 * One relay worker's slice of a delivery (plain data: it crosses a worker thread or a Lambda invocation).
 * `frames` are the serialised messages (UTF-8 JSON text, each under the endpoint's size limit);
 * `posts[i]` is `[frame index, connection id]`. One connection's posts are all in the same shard, in the
 * leader's order.
 */
export interface RelayShard {
  frames: string[];
  posts: Array<[number, string]>;
  limits: RelayShardLimits;
}

/**
 * One post's outcome: 0 sent, 1 gone (410), or why it was given up on (a failure kind after its retries,
 * or `out-of-time`), with the last failure's text.
 */
export type RelayPostOutcome = 0 | 1 | [PushFailureKind | 'out-of-time', string];

/** A shard's outcomes, `outcomes[i]` for `posts[i]`. */
export interface RelayShardResult {
  outcomes: RelayPostOutcome[];
}

/**
 * Runs relay shards somewhere else than the leader's event loop: worker threads in a container, parallel
 * invocations of the relay Lambda on AWS. Each runner posts its shard with the relay's per-message
 * isolation (core `postShard`). Rejects when the shard could not be run at all (worker crashed,
 * invocation failed); the leader then posts that shard itself, so no post is lost.
 */
export interface RelayShardRunner {
  /** How many shards a delivery is split into (the leader's own event loop is not one of them). */
  readonly shards: number;
  run(shard: RelayShard): Promise<RelayShardResult>;
  close?(): Promise<void>;
}

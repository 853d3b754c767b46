import middy from '@middy/core';
import * as z from 'zod';
import { TicketingError } from '../core/errors';
import { postShard } from '../core/relay-availability';
import type { ConnectionPusher } from '../ports/connection-pusher.port';
import type { RelayShard, RelayShardResult } from '../ports/relay-shards.port';
import { getServices } from './lambda-runtime';

// The relay leader's invocation (functions/adapters/aws/lambda-invoke-shards.ts): checked so a malformed
// payload fails the invocation (the leader then posts the shard itself) instead of posting garbage.
const relayShardEvent = z.object({
  relayShard: z.object({
    frames: z.array(z.string()),
    posts: z.array(z.tuple([z.number().int().min(0), z.string().min(1)])),
    limits: z.object({
      concurrency: z.number().int().min(1).max(10_000),
      retry: z.object({
        attempts: z.number().int().min(1).max(100),
        baseDelayMs: z.number().min(0),
        maxDelayMs: z.number().min(0),
      }),
      postUntil: z.number(),
    }),
  }),
});

/**
 * Posts one relay shard with `pusher` (core `postShard`: per-message retries and classification) after
 * checking the event's shape. Returns `{ outcomes }`, one per post (JSON null: not posted, its
 * connection was found gone earlier in the shard). Throws on a malformed event or a frame index out of
 * range.
 */
export async function runRelayShard(event: unknown, pusher: ConnectionPusher): Promise<RelayShardResult> {
  const input = relayShardEvent.safeParse(event);
  if (!input.success) throw new Error(`relay-shard: malformed shard event: ${input.error.message}`);
  const shard: RelayShard = input.data.relayShard;
  if (shard.posts.some(([frame]) => frame >= shard.frames.length)) {
    throw new Error('relay-shard: a post names a frame the shard does not carry');
  }
  return postShard(pusher, shard);
}

/**
 * The relay-shard Lambda: invoked synchronously by the relay leader (RELAY_SHARD_FUNCTION, RELAY_SHARDS),
 * one invocation per shard of a delivery; posts it to WEBSOCKET_CALLBACK_URL and answers the outcomes.
 */
export const handler = middy<unknown, RelayShardResult>().handler(async (event) => {
  const services = await getServices();
  const endpoint = services.realtime.callbackUrl;
  if (!endpoint) throw new TicketingError('SERVICE_UNAVAILABLE', 'relay-shard needs WEBSOCKET_CALLBACK_URL');
  return runRelayShard(event, services.realtime.pusherFor(endpoint));
});

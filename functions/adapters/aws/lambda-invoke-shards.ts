import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type {
  RelayPostOutcome,
  RelayShard,
  RelayShardResult,
  RelayShardRunner,
} from '../../ports/relay-shards.port';
import { type AwsEndpointOptions, awsClientConfig } from './aws-client-config';

/**
 * Lambda's limit on a synchronous (RequestResponse) invocation's request and response payloads:
 * "Invocation payload (request and response): 6 MB each for request and response (synchronous)"
 * (AWS Lambda quotas, docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** The event a relay-shard invocation carries (functions/handlers/relay-shard.ts validates it). */
export interface RelayShardEvent {
  relayShard: RelayShard;
}

export interface LambdaInvokeShardsOptions extends AwsEndpointOptions {
  /** The function that posts one shard (the `relay-shard` Lambda: RELAY_SHARD_FUNCTION). */
  functionName: string;
  /** Shards per delivery (≥ 1), each one invocation (or more, when its payload is large). */
  shards: number;
  /**
   * Bytes of JSON one invocation's payload may hold (default 1 MiB, far under the 6 MB synchronous
   * limit); a larger shard is split into several invocations.
   */
  maxPayloadBytes?: number;
  /** Ms added to the shard's `postUntil` before an invocation that has not answered is given up on. */
  graceMs?: number;
}

const encoder = new TextEncoder();

/**
 * The AWS form of relay sharding: each shard of a delivery is posted by a synchronous (RequestResponse)
 * invocation of the `relay-shard` Lambda, all shards in parallel, so the SDK's per-post CPU is spread over
 * several Lambda instances instead of the relay's one event loop. A shard whose JSON is over
 * `maxPayloadBytes` is split into several invocations (each carries only the frames its posts use).
 * `run` rejects — and the leader posts the whole shard itself — when an invocation answers a function
 * error, is throttled (429 TooManyRequestsException), refused (413), times out, or answers outcomes that
 * do not match its posts. A function error or a timeout may come after some posts were made: those
 * connections may get the message twice (at least once, never lost).
 */
export class LambdaInvokeShardRunner implements RelayShardRunner {
  readonly shards: number;
  private readonly client: LambdaClient;
  private readonly maxPayloadBytes: number;

  constructor(private readonly options: LambdaInvokeShardsOptions) {
    this.shards = Math.max(1, Math.floor(options.shards));
    this.maxPayloadBytes = Math.min(options.maxPayloadBytes ?? 1024 * 1024, LAMBDA_SYNC_PAYLOAD_BYTES - 1024);
    // One attempt: a throttled or failed shard goes back to the leader at once, not after SDK back-off.
    this.client = new LambdaClient({ ...awsClientConfig(options), maxAttempts: 1 });
  }

  async run(shard: RelayShard): Promise<RelayShardResult> {
    const pieces = splitByPayload(shard, this.maxPayloadBytes);
    const results = await Promise.all(pieces.map((piece) => this.invoke(piece)));
    return { outcomes: results.flatMap((result) => result.outcomes) };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async invoke(shard: RelayShard): Promise<RelayShardResult> {
    const event: RelayShardEvent = { relayShard: shard };
    const waitMs = Math.max(1_000, shard.limits.postUntil - Date.now() + (this.options.graceMs ?? 10_000));
    const answer = await this.client.send(
      new InvokeCommand({
        FunctionName: this.options.functionName,
        InvocationType: 'RequestResponse',
        Payload: encoder.encode(JSON.stringify(event)),
      }),
      { abortSignal: AbortSignal.timeout(waitMs) },
    );
    const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
    if (answer.FunctionError) {
      throw new Error(
        `relay shard ${this.options.functionName}: ${answer.FunctionError}: ${text.slice(0, 500)}`,
      );
    }
    const outcomes = (JSON.parse(text) as Partial<RelayShardResult> | null)?.outcomes;
    if (!Array.isArray(outcomes) || outcomes.length !== shard.posts.length || !outcomes.every(isOutcome)) {
      throw new Error(
        `relay shard ${this.options.functionName}: answer does not match its ${shard.posts.length} posts`,
      );
    }
    return { outcomes };
  }
}

// postShard leaves a slot empty (JSON null) for a post not made: its connection was found gone earlier.
function isOutcome(value: unknown): value is RelayPostOutcome {
  return (
    value === 0 ||
    value === 1 ||
    value === null ||
    (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string')
  );
}

/**
 * Splits a shard into pieces whose event JSON stays within `maxBytes` (approximately: each frame's and
 * post's JSON length plus a fixed allowance), keeping posts in order and one connection's posts together
 * where it fits; each piece carries only the frames its posts use, re-indexed. One post whose frame alone
 * is over `maxBytes` still goes alone (a frame is at most API Gateway's 128 KB).
 */
export function splitByPayload(shard: RelayShard, maxBytes: number): RelayShard[] {
  const frameBytes = shard.frames.map((frame) => encoder.encode(JSON.stringify(frame)).byteLength + 1);
  const pieces: RelayShard[] = [];
  let frames: string[] = [];
  let index = new Map<number, number>();
  let posts: Array<[number, string]> = [];
  let bytes = 512;
  for (const [frame, connectionId] of shard.posts) {
    const cost = connectionId.length + 16 + (index.has(frame) ? 0 : (frameBytes[frame] ?? 0));
    if (posts.length > 0 && bytes + cost > maxBytes) {
      pieces.push({ frames, posts, limits: shard.limits });
      frames = [];
      index = new Map();
      posts = [];
      bytes = 512;
    }
    let local = index.get(frame);
    if (local === undefined) {
      local = frames.length;
      index.set(frame, local);
      frames.push(shard.frames[frame] as string); // a missing frame goes as null: the handler refuses it
      bytes += frameBytes[frame] ?? 0;
    }
    posts.push([local, connectionId]);
    bytes += connectionId.length + 16;
  }
  if (posts.length > 0) pieces.push({ frames, posts, limits: shard.limits });
  return pieces;
}

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RealtimeMessage } from '../../core/realtime';
import type { EventTrace } from '../../ports/event-bus.port';
import type { RelayLease, RelayStream, StreamEntry } from '../../ports/relay-stream.port';
import { eventTraceSchema, realtimeMessageSchema } from './realtime-message-schema';
import type { RedisKeys } from './redis-keys';

// Compare-and-act scripts: only the holder of the lease may extend it, drop it, or move the position.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const COMMIT = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[2], ARGV[2]) return 1 else return 0 end`;

export class RedisRelayStream implements RelayStream {
  /** Blocking reads get their own connection (opened on first use) so they never hold up other commands. */
  private reader: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async acquireLease(ttlMs: number): Promise<RelayLease | null> {
    const token = randomUUID();
    const taken = await this.redis.set(this.keys.relayLease, token, 'PX', ttlMs, 'NX');
    if (taken !== 'OK') return null;
    const key = this.keys.relayLease;
    return {
      token,
      renew: async () => (await this.redis.eval(RENEW, 1, key, token, ttlMs)) === 1,
      release: async () => {
        await this.redis.eval(RELEASE, 1, key, token);
      },
    };
  }

  async position(): Promise<string> {
    return (await this.redis.get(this.keys.relayPosition)) ?? '0-0';
  }

  async read(after: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    if (!this.reader) {
      this.reader = this.redis.duplicate({ enableOfflineQueue: true });
      this.reader.on('error', () => undefined);
    }
    const result = (await this.reader.xread(
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.keys.stream,
      after,
    )) as Array<[string, Array<[string, string[]]>]> | null;
    const entries: StreamEntry[] = [];
    for (const [id, list] of result?.[0]?.[1] ?? []) {
      const fields = new Map<string, string>();
      for (let i = 0; i + 1 < list.length; i += 2) fields.set(list[i] as string, list[i + 1] as string);
      entries.push({ id, message: parseMessage(fields.get('m')), trace: parseTrace(fields.get('t')) });
    }
    return entries;
  }

  async commit(lease: RelayLease, position: string): Promise<boolean> {
    return (
      (await this.redis.eval(
        COMMIT,
        2,
        this.keys.relayLease,
        this.keys.relayPosition,
        lease.token,
        position,
      )) === 1
    );
  }

  close(): void {
    this.reader?.disconnect();
  }
}

/**
 * A foreign or damaged entry becomes null: the relay reports it as malformed and the position moves past
 * it. The same schema as the replicas' pub/sub (`realtime-message-schema.ts`): one rule for both paths.
 */
function parseMessage(payload: string | undefined): RealtimeMessage | null {
  if (payload === undefined) return null;
  try {
    const parsed = realtimeMessageSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function parseTrace(payload: string | undefined): EventTrace | undefined {
  if (payload === undefined) return undefined;
  try {
    const parsed = eventTraceSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

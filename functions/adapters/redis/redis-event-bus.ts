import type { Redis } from 'ioredis';
import type { RealtimeMessage } from '../../core/realtime';
import type { EventBus, EventTrace } from '../../ports/event-bus.port';
import { parseBusPayload } from './realtime-message-schema';
import type { RedisKeys } from './redis-keys';

/**
 * PUBLISH for the replicas that are listening now, and XADD to a capped stream for the relay, which must
 * not lose what was published while it was not running. Both in one MULTI.
 */
export class RedisEventBus implements EventBus {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly streamMaxLength = 10_000,
    /** Told of each pub/sub payload dropped as malformed (its length in characters), for a log line and a metric. */
    private readonly onDropped?: (length: number) => void,
    /** Told when a listener throws on a message; the next message is delivered as usual. */
    private readonly onListenerError?: (error: unknown) => void,
  ) {}

  private pending: Array<{
    payload: string;
    trace: string | undefined;
    resolve: () => void;
    reject: (error: unknown) => void;
  }> = [];

  /** Messages published in the same tick share one MULTI: one round trip however busy the sale. */
  publish(message: RealtimeMessage, trace?: EventTrace): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({
        payload: JSON.stringify(message),
        trace: trace && JSON.stringify(trace),
        resolve,
        reject,
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const tx = this.redis.multi();
      for (const { payload, trace } of batch) {
        // Pub/sub has one payload: the trace rides in an envelope. The stream has fields: `t` beside `m`.
        tx.publish(this.keys.updatesChannel, trace ? `{"m":${payload},"t":${trace}}` : payload);
        const fields = trace ? ['m', payload, 't', trace] : ['m', payload];
        tx.xadd(this.keys.stream, 'MAXLEN', '~', this.streamMaxLength, '*', ...fields);
      }
      const results = await tx.exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
      for (const { resolve } of batch) resolve();
    } catch (error) {
      for (const { reject } of batch) reject(error);
    }
  }

  async subscribe(
    listener: (message: RealtimeMessage, trace?: EventTrace) => void,
  ): Promise<() => Promise<void>> {
    // A subscriber connection can do nothing else; it keeps retrying and re-subscribes after a reconnect.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, payload: string) => {
      // Whatever arrives on the channel (an older replica's shape, a hand-typed PUBLISH, a bug), a bad
      // payload is dropped and a failing listener is reported: neither may end the process.
      const parsed = parseBusPayload(payload);
      if (!parsed) {
        this.onDropped?.(payload.length);
        return;
      }
      try {
        listener(parsed.message, parsed.trace);
      } catch (error) {
        this.onListenerError?.(error);
      }
    });
    await subscriber.subscribe(this.keys.updatesChannel);
    return async () => {
      subscriber.disconnect();
    };
  }
}

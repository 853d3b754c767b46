import type { Services } from '../../functions/composition/services';
import { KeyedThrottle } from '../../functions/core/keyed-throttle';
import { type ConcertUpdateMessage, eventSummary, type RealtimeMessage } from '../../functions/core/realtime';
import { type EventTrace, mergeTraces } from '../../functions/ports/event-bus.port';
import { ADMIN_ROOM, concertRoom, type SocketIoGateway } from './socket-io-gateway';
import type { WebSocketGateway } from './websocket-gateway';

interface Traced<M extends RealtimeMessage> {
  message: M;
  trace: EventTrace | undefined;
}

export interface FanoutStats {
  received: number;
  broadcasts: number;
  framesSent: number;
  stale: number;
}

/**
 * One replica's share of the fan-out: every replica hears every message on the bus and pushes it to the
 * sockets it holds itself. Updates are coalesced per concert (at most one per interval, always the newest
 * version), and each message is framed once for all its recipients.
 */
export class LiveFanout {
  readonly stats: FanoutStats = { received: 0, broadcasts: 0, framesSent: 0, stale: 0 };
  private readonly newestSent = new Map<string, number>();
  private readonly throttle: KeyedThrottle<Traced<ConcertUpdateMessage>>;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly services: Services,
    private readonly ws: WebSocketGateway,
    private readonly socketIo: SocketIoGateway,
    intervalMs: number,
  ) {
    this.throttle = new KeyedThrottle<Traced<ConcertUpdateMessage>>(
      intervalMs,
      (_concertId, update) => void this.sendUpdate(update),
      (older, newer) => ({
        message: newer.message.version >= older.message.version ? newer.message : older.message,
        trace:
          older.trace && newer.trace ? mergeTraces(older.trace, newer.trace) : (newer.trace ?? older.trace),
      }),
    );
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.services.realtime.bus.subscribe((message, trace) =>
      this.receive(message, trace),
    );
  }

  async stop(): Promise<void> {
    this.throttle.close();
    await this.unsubscribe?.();
  }

  private receive(message: RealtimeMessage, trace: EventTrace | undefined): void {
    this.stats.received++;
    if (message.type === 'concert-update') {
      if (message.version <= (this.newestSent.get(message.concertId) ?? -1)) {
        this.stats.stale++;
        return;
      }
      this.throttle.push(message.concertId, { message, trace });
    } else void this.sendNotice({ message, trace });
  }

  private async sendUpdate({ message: update, trace }: Traced<ConcertUpdateMessage>): Promise<void> {
    if (update.version <= (this.newestSent.get(update.concertId) ?? -1)) {
      this.stats.stale++;
      return;
    }
    this.newestSent.set(update.concertId, update.version);
    await this.send({ message: update, trace }, concertRoom(update.concertId), () =>
      this.services.realtime.registry.watchers(update.concertId),
    );
  }

  private sendNotice(notice: Traced<RealtimeMessage>): Promise<void> {
    return this.send(notice, ADMIN_ROOM, () => this.services.realtime.registry.admins());
  }

  private async send(
    { message, trace }: Traced<RealtimeMessage>,
    room: string,
    rawWatchers: () => Promise<string[]>,
  ): Promise<void> {
    this.stats.broadcasts++;
    this.socketIo.broadcast(room, message);
    if (this.ws.size > 0) await this.sendRaw(message, rawWatchers);
    // The containers' relay: its lag, and the delivery tied to the requests that caused it.
    if (!trace) return;
    const lagMs = Math.max(0, Date.now() - trace.publishedAt);
    this.services.metrics.deliveryLag(message.type, lagMs / 1000);
    // Updates are coalesced (a few a second per concert): info. Admin notices come one per sale: debug.
    const level = message.type === 'concert-update' ? 'info' : 'debug';
    this.services.logger[level](
      { ...eventSummary(message), requestIds: trace.requestIds, lagMs },
      'delivered to this replica’s sockets',
    );
  }

  private async sendRaw(message: RealtimeMessage, rawWatchers: () => Promise<string[]>): Promise<void> {
    let ids: string[];
    try {
      ids = await rawWatchers();
    } catch (error) {
      this.services.logger.warn(
        { err: error },
        'could not read the watchers; clients heal on the next update',
      );
      return;
    }
    // Serialized and encoded once; every socket gets the same bytes as a text frame.
    const frame = Buffer.from(JSON.stringify(message));
    for (const id of ids) {
      const socket = this.ws.socket(id);
      if (socket) {
        socket.send(frame, { binary: false });
        this.stats.framesSent++;
      }
    }
  }
}

import type { Services } from '../../functions/composition/services';
import { KeyedThrottle } from '../../functions/core/keyed-throttle';
import type { ConcertUpdateMessage, RealtimeMessage } from '../../functions/core/realtime';
import { ADMIN_ROOM, concertRoom, type SocketIoGateway } from './socket-io-gateway';
import type { WebSocketGateway } from './websocket-gateway';

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
  private readonly throttle: KeyedThrottle<ConcertUpdateMessage>;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly services: Services,
    private readonly ws: WebSocketGateway,
    private readonly socketIo: SocketIoGateway,
    intervalMs: number,
  ) {
    this.throttle = new KeyedThrottle<ConcertUpdateMessage>(
      intervalMs,
      (_concertId, update) => void this.sendUpdate(update),
      (older, newer) => (newer.version >= older.version ? newer : older),
    );
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.services.realtime.bus.subscribe((message) => this.receive(message));
  }

  async stop(): Promise<void> {
    this.throttle.close();
    await this.unsubscribe?.();
  }

  private receive(message: RealtimeMessage): void {
    this.stats.received++;
    if (message.type === 'concert-update') {
      if (message.version <= (this.newestSent.get(message.concertId) ?? -1)) {
        this.stats.stale++;
        return;
      }
      this.throttle.push(message.concertId, message);
    } else void this.sendNotice(message);
  }

  private async sendUpdate(update: ConcertUpdateMessage): Promise<void> {
    if (update.version <= (this.newestSent.get(update.concertId) ?? -1)) {
      this.stats.stale++;
      return;
    }
    this.newestSent.set(update.concertId, update.version);
    await this.send(update, concertRoom(update.concertId), () =>
      this.services.realtime.registry.watchers(update.concertId),
    );
  }

  private sendNotice(notice: RealtimeMessage): Promise<void> {
    return this.send(notice, ADMIN_ROOM, () => this.services.realtime.registry.admins());
  }

  private async send(
    message: RealtimeMessage,
    room: string,
    rawWatchers: () => Promise<string[]>,
  ): Promise<void> {
    this.stats.broadcasts++;
    this.socketIo.broadcast(room, message);
    if (this.ws.size === 0) return;
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

import type { Services } from '../../functions/composition/services';
import { mergeTraces } from '../../functions/core/event-trace';
import { KeyedThrottle } from '../../functions/core/keyed-throttle';
import { type ConcertUpdateMessage, eventSummary, type RealtimeMessage } from '../../functions/core/realtime';
import { adminFeedStillAllowed } from '../../functions/core/watchers.service';
import { concertSnapshots } from '../../functions/handlers/websocket/websocket-handler';
import type { EventTrace } from '../../functions/ports/event-bus.port';
import { clientAddressOf } from './client-address';
import { ClientLimits, DEFAULT_CLIENT_LIMITS } from './client-limits';
import { ADMIN_FEED_ENDED, ADMIN_ROOM, concertRoom, type SocketIoGateway } from './socket-io-gateway';
import type { WebSocketGateway } from './websocket-gateway';

/** How often (ms) admin feeds re-verify their tokens: a withdrawn role or an expired token ends them. */
export const ADMIN_RECHECK_MS = 5_000;
/** Longest gap (ms) between two refreshes of this replica's entries in the shared connection registry. */
const MAX_REFRESH_MS = 30_000;

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
 *
 * It also keeps this replica's sockets healthy: the shared connection registry's entries of its live
 * raw connections are refreshed every third of the registry TTL (at most every 30 s) and rebuilt when
 * Redis lost them; admin feeds re-verify their tokens every ADMIN_RECHECK_MS and end (an `error`
 * message) when that fails; and both gateways share one set of client limits (WS_CONNECTIONS_PER_ADDRESS,
 * frame and join budgets).
 */
export class LiveFanout {
  readonly stats: FanoutStats = { received: 0, broadcasts: 0, framesSent: 0, stale: 0 };
  private readonly newestSent = new Map<string, number>();
  private readonly throttle: KeyedThrottle<Traced<ConcertUpdateMessage>>;
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

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
    const limits = new ClientLimits(
      { ...DEFAULT_CLIENT_LIMITS, connectionsPerAddress: services.config.wsConnectionsPerAddress },
      // One line and one count per closed or refused connection: address and reason, never a token.
      ({ transport, address, reason }) => {
        services.logger.info({ transport, address, reason }, 'live connection refused');
        services.metrics.connectionRefused(reason, transport);
      },
    );
    // The client address as the HTTP limits see it (TRUST_PROXY decides whether X-Forwarded-For counts).
    const addressOf = clientAddressOf(services.config.trustProxy);
    ws.limitClients(limits, addressOf);
    socketIo.limitClients(limits, addressOf);
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.services.realtime.bus.subscribe((message, trace) =>
      this.receive(message, trace),
    );
    const refreshMs = Math.min(MAX_REFRESH_MS, (this.services.config.wsRegistryTtlSeconds * 1000) / 3);
    this.every(refreshMs, () => this.refreshRegistry());
    this.every(ADMIN_RECHECK_MS, () => this.recheckAdmins());
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    this.throttle.close();
    await this.unsubscribe?.();
  }

  /** Runs `task` every `ms`, never two at once; a failure is logged and the next round tries again. */
  private every(ms: number, task: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((error: unknown) => this.services.logger.warn({ err: error }, 'live-socket upkeep failed'))
        .finally(() => {
          running = false;
        });
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Renews this replica's live connections in the shared registry; rebuilt there if Redis lost them. */
  private async refreshRegistry(): Promise<void> {
    const unknown = await this.services.realtime.registry.touch(this.ws.connectionIds());
    // Sockets the registry never knew (their $connect failed): tell them to reconnect.
    for (const id of unknown) {
      this.ws.end(
        id,
        {
          type: 'error',
          code: 'SERVICE_UNAVAILABLE',
          message: 'Connection lost its registration: reconnect',
        },
        'not registered',
        'not-registered',
      );
    }
  }

  /** Ends the admin feeds (raw and Socket.IO) of this replica whose tokens no longer verify as an admin's. */
  private async recheckAdmins(): Promise<void> {
    const allowed = (token: string | undefined) => adminFeedStillAllowed(this.services, token);
    for (const id of await this.services.realtime.registry.admins()) {
      if (!this.ws.socket(id)) continue;
      if (!(await allowed(this.ws.connectionToken(id))))
        this.ws.end(id, ADMIN_FEED_ENDED, 'admin token revoked', 'admin-token-revoked');
    }
    await this.socketIo.recheckAdmins(allowed);
  }

  private receive(message: RealtimeMessage, trace: EventTrace | undefined): void {
    this.stats.received++;
    if (message.type === 'concert-update') {
      concertSnapshots(this.services).offer(message);
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

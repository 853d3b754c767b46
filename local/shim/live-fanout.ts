import {
  hasLocalWatchSets,
  type LocalWatchSets,
} from '../../functions/adapters/memory/memory-connection-registry';
import type { Services } from '../../functions/composition/services';
import {
  eventSummary,
  forTheFan,
  type RealtimeMessage,
  type WaitlistOfferMessage,
} from '../../functions/core/realtime';
import { adminFeedStillAllowed } from '../../functions/core/watchers.service';
import { concertSnapshots } from '../../functions/handlers/websocket/websocket-handler';
import type { EventTrace } from '../../functions/ports/event-bus.port';
import { clientAddressOf } from './client-address';
import { ClientLimits, DEFAULT_CLIENT_LIMITS } from './client-limits';
import { ADMIN_FEED_ENDED, type SocketIoGateway } from './socket-io-gateway';
import { preFrame, type WebSocketGateway } from './websocket-gateway';

/** How often (ms) admin feeds re-verify their tokens: a withdrawn role or an expired token ends them. */
export const ADMIN_RECHECK_MS = 5_000;
/** Longest gap (ms) between two refreshes of this replica's entries in the shared connection registry. */
const MAX_REFRESH_MS = 30_000;

export interface FanoutStats {
  received: number;
  broadcasts: number;
  framesSent: number;
  stale: number;
}

/**
 * One replica's share of the fan-out: every replica hears every message on the bus and pushes it to the
 * sockets it holds itself, reading each gateway's own watch sets in memory (raw `/ws`: the process-local
 * side of the connection registry; Socket.IO: its gateway's registry), so an update costs no Redis
 * command. Updates are not coalesced here: the AvailabilityPublisher that put them on the bus already
 * sends at most one per concert per REALTIME_COALESCE_MS; older versions than one already sent are dropped,
 * and each message is framed once for all its recipients.
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
  /** The raw connections' watch sets: the process-local side of `services.realtime.registry`. */
  private readonly raw: LocalWatchSets;
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  /**
   * @throws Error when `services.realtime.registry` keeps no watch sets in this process (services built
   *   without `cacheConcertReads` while Redis is configured): the fan-out would have to ask Redis per update
   */
  constructor(
    private readonly services: Services,
    private readonly ws: WebSocketGateway,
    private readonly socketIo: SocketIoGateway,
  ) {
    const registry = services.realtime.registry;
    if (!hasLocalWatchSets(registry))
      throw new Error('The live fan-out needs the process-local connection registry (cacheConcertReads)');
    this.raw = registry;
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

  /**
   * The fan-out's backpressure, for operators and tests: sockets (raw and Socket.IO) owed a concert's
   * newest update because they were too slow when it went out, updates skipped for slow sockets so far
   * (each made good by a newer one), and the largest unsent backlog of one raw and of one Socket.IO
   * socket, in bytes (`socketIoPacketBytes`: what a packet still waiting in Engine.IO counts for).
   */
  backpressure(socketIoPacketBytes = 0): {
    owing: number;
    coalesced: number;
    largestRawBacklogBytes: number;
    largestSocketIoBacklogBytes: number;
  } {
    return {
      owing: this.ws.backlog.owing + this.socketIo.backlog.owing,
      coalesced: this.ws.backlog.coalesced + this.socketIo.backlog.coalesced,
      largestRawBacklogBytes: this.ws.largestBacklogBytes(),
      largestSocketIoBacklogBytes: this.socketIo.largestBacklogBytes(socketIoPacketBytes),
    };
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
    for (const id of [...this.raw.adminsHere()]) {
      if (!this.ws.socket(id)) continue;
      if (!(await allowed(this.ws.connectionToken(id))))
        this.ws.end(id, ADMIN_FEED_ENDED, 'admin token revoked', 'admin-token-revoked');
    }
    await this.socketIo.recheckAdmins(allowed);
  }

  private receive(message: RealtimeMessage, trace: EventTrace | undefined): void {
    this.stats.received++;
    if (message.type === 'waitlist-offer') {
      // One fan's own news: to the connections this replica holds for that fan, without the addressing.
      this.deliver(
        message,
        trace,
        this.raw.fanHere(message.userId),
        this.socketIo.watchSets.fanHere(message.userId),
        forTheFan(message),
      );
      return;
    }
    if (message.type !== 'concert-update') {
      this.deliver(message, trace, this.raw.adminsHere(), this.socketIo.watchSets.adminsHere());
      return;
    }
    concertSnapshots(this.services).offer(message);
    if (message.version <= (this.newestSent.get(message.concertId) ?? -1)) {
      this.stats.stale++;
      return;
    }
    this.newestSent.set(message.concertId, message.version);
    this.deliver(
      message,
      trace,
      this.raw.watchersHere(message.concertId),
      this.socketIo.watchSets.watchersHere(message.concertId),
    );
  }

  /**
   * Pushes one message to this replica's raw and Socket.IO recipients, from memory: serialised and framed
   * once for all raw sockets, encoded once by Socket.IO for all of its own. A concert update is coalesced
   * per slow socket (see CoalescedBacklog); other messages go to every recipient.
   */
  private deliver(
    message: RealtimeMessage,
    trace: EventTrace | undefined,
    rawIds: ReadonlySet<string>,
    socketIoIds: ReadonlySet<string>,
    /** What the sockets are sent, when not the bus message itself. */
    sent: RealtimeMessage | WaitlistOfferMessage = message,
  ): void {
    this.stats.broadcasts++;
    const concertId = message.type === 'concert-update' ? message.concertId : undefined;
    if (concertId !== undefined) this.socketIo.broadcastConcertUpdate(concertId, sent);
    else this.socketIo.sendTo(socketIoIds, sent);
    if (rawIds.size > 0) this.stats.framesSent += this.ws.broadcast(rawIds, preFrame(sent), concertId);
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
}

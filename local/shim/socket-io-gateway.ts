import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type Socket } from 'socket.io';
import {
  type LocalWatchSets,
  MemoryConnectionRegistry,
} from '../../functions/adapters/memory/memory-connection-registry';
import type { Services } from '../../functions/composition/services';
import { notFound, TicketingError } from '../../functions/core/errors';
import type { RealtimeMessage, WaitlistOfferMessage } from '../../functions/core/realtime';
import { followQueue, unfollowQueues } from '../../functions/core/waiting-room-live';
import {
  joinAdmins,
  joinConcert,
  leaveConcert,
  type WatcherDeps,
} from '../../functions/core/watchers.service';
import { concertIdArgument } from '../../functions/handlers/websocket/client-actions';
import { concertSnapshots, errorMessage } from '../../functions/handlers/websocket/websocket-handler';
import { type ClientLimits, type ConnectionBudget, RATE_LIMITED_MESSAGE } from './client-limits';
import { CoalescedBacklog, type Readiness } from './coalesced-backlog';
import { SLOW_SOCKET_BYTES } from './websocket-gateway';

/** The client events, and only these, are handled; any other name gets an `error` message. */
const CLIENT_EVENTS = new Set(['join-concert', 'leave-concert', 'join-admin', 'join-queue']);

/**
 * A Socket.IO socket is slow, and skipped by a concert broadcast (it later gets the newest update), when
 * the kernel stopped taking its bytes: its WebSocket holds more than SLOW_SOCKET_BYTES unsent, or it holds
 * some and Engine.IO has SLOW_SOCKET_PACKETS or more packets waiting behind them. A burst to a client that
 * keeps reading (bytes taken at once, packets waiting only for Engine.IO's next tick) is never coalesced.
 * Other transports (long polling) are slow at MAX_QUEUED_PACKETS waiting packets.
 */
export const SLOW_SOCKET_PACKETS = 16;
export const MAX_QUEUED_PACKETS = 256;

/** The Socket.IO room of a concert's watchers on this gateway (kept equal to its watch sets). */
export function concertRoom(concertId: string): string {
  return `concert:${concertId}`;
}

function readiness(socket: Socket): Readiness {
  if (!socket.connected) return 'gone';
  // Engine.IO's queue of packets its transport has not taken yet, and the WebSocket under a websocket
  // transport (both typed private by Engine.IO: read only here).
  const conn = socket.conn as unknown as {
    writeBuffer?: unknown[];
    transport?: { socket?: { bufferedAmount?: number } };
  };
  const queued = conn.writeBuffer?.length ?? 0;
  if (queued >= MAX_QUEUED_PACKETS) return false;
  const unsent = conn.transport?.socket?.bufferedAmount;
  if (unsent === undefined) return true;
  if (unsent > SLOW_SOCKET_BYTES) return false;
  return unsent === 0 || queued < SLOW_SOCKET_PACKETS;
}

/**
 * The gateway's watch sets, with each socket also in the Socket.IO room of every concert it watches, so a
 * concert update is one room broadcast (encoded and framed once) instead of a list of 10,000 socket ids.
 * The room is joined as soon as the watch is recorded (before the joiner's snapshot is read: no update
 * in between is missed) and left with it; Socket.IO empties a socket's rooms when it disconnects.
 */
class RoomMirroredRegistry extends MemoryConnectionRegistry {
  constructor(private readonly socketOf: (id: string) => Socket | undefined) {
    super();
  }

  override async watch(connectionId: string, concertId: string, maxConcerts = 0) {
    const outcome = await super.watch(connectionId, concertId, maxConcerts);
    if (outcome === 'watching') void this.socketOf(connectionId)?.join(concertRoom(concertId));
    return outcome;
  }

  override async unwatch(connectionId: string, concertId: string): Promise<void> {
    await super.unwatch(connectionId, concertId);
    void this.socketOf(connectionId)?.leave(concertRoom(concertId));
  }
}

/** Queue followers of this gateway are told apart from raw WebSocket connections by this prefix. */
const QUEUE_FOLLOWER_PREFIX = 'sio:';

interface SocketData {
  budget?: ConnectionBudget;
  /** The client address its budget is keyed by (for the refusal log line). */
  address?: string;
  /** Set once it went over budget and is being disconnected. */
  ended?: boolean;
  /** The token the admin feed was joined with: re-verified while the feed runs. */
  adminToken?: string;
}

/**
 * Socket.IO at `/socket.io/` with the contract's event names, for browser code written with
 * socket.io-client: `socket.emit('join-concert', id); socket.on('concert-update', fn)`.
 * Who may watch what is decided by the core's watcher use cases (functions/core/watchers.service.ts), as
 * for raw `/ws`; this gateway keeps its own sockets' watch sets in a registry in memory (never in Redis:
 * the AWS relay cannot post to a Socket.IO socket). Join snapshots come from the process's snapshot cache
 * (no database read per event); with `limitClients`, connections per address and events per connection
 * and address are bounded.
 */
export class SocketIoGateway {
  readonly io: Server;
  /** This gateway's sockets (by socket id): which concerts each watches, which are in the admin feed. */
  private readonly registry = new RoomMirroredRegistry((id) => this.io.of('/').sockets.get(id));
  /** Concert updates owed to sockets too slow to take them when they went out. */
  readonly backlog = new CoalescedBacklog<Socket, RealtimeMessage | WaitlistOfferMessage>({
    ready: readiness,
    send: (socket, message) => socket.emit(message.type, message),
  });
  /** What this gateway's sockets are watching, read by the fan-out for every message. */
  readonly watchSets: LocalWatchSets = this.registry;
  private limits: ClientLimits | undefined;
  private addressOf: (request: IncomingMessage) => string = (request) =>
    request.socket.remoteAddress ?? 'unknown';

  constructor(httpServer: HttpServer, services: Services, allowedOrigins: string[]) {
    this.io = new Server(httpServer, {
      path: '/socket.io/',
      serveClient: false,
      destroyUpgrade: false, // `/ws` upgrades belong to the raw WebSocket gateway
      maxHttpBufferSize: 4096,
      cors: allowedOrigins.length > 0 ? { origin: allowedOrigins } : undefined,
    });
    this.io.use((socket, next) => {
      if (!this.limits) return next();
      const address = this.addressOf(socket.request);
      const budget = this.limits.open(address);
      if (!budget) {
        this.limits.refused({ transport: 'socket.io', address, reason: 'too-many-connections' });
        const refused = new Error('Too many connections from this address: close one first');
        (refused as Error & { data?: unknown }).data = { code: 'RATE_LIMITED' };
        return next(refused);
      }
      (socket.data as SocketData).budget = budget;
      (socket.data as SocketData).address = address;
      socket.once('disconnect', () => budget.release());
      // Engine.IO closes a connection whose packet is over maxHttpBufferSize ("transport error").
      socket.conn.once('close', (_reason: string, description?: { message?: unknown }) => {
        if (/payload too large|max payload size exceeded/i.test(String(description?.message ?? '')))
          this.limits?.refused({ transport: 'socket.io', address, reason: 'frame-too-large' });
      });
      next();
    });
    const deps: WatcherDeps = {
      registry: this.registry,
      snapshots: concertSnapshots(services),
      tokens: services.tokens,
    };
    const queue = services.waitingRoom.live;
    // The waiting room's feed sends `queue-position` to the sockets of this gateway that follow a queue.
    services.waitingRoom.deliverThrough((connectionId, message) => {
      if (!connectionId.startsWith(QUEUE_FOLLOWER_PREFIX)) return 'not-mine';
      const socket = this.io.of('/').sockets.get(connectionId.slice(QUEUE_FOLLOWER_PREFIX.length));
      if (!socket) return 'gone';
      socket.emit('queue-position', message);
      return 'sent';
    });
    this.io.on('connection', (socket) => {
      // Socket.IO's handshake verifies no token (a bad one fails only `join-admin`): no principal yet.
      void this.registry.register(socket.id, { userId: null, admin: false });
      // A signed-in fan's handshake token names whose messages (a waiting-list offer) this socket gets;
      // it grants nothing else (the admin rule still verifies at join-admin).
      void this.identify(socket, services);
      socket.once('disconnect', () => {
        void this.registry.remove(socket.id);
        void unfollowQueues(queue, `${QUEUE_FOLLOWER_PREFIX}${socket.id}`).catch(() => {});
      });
      const refuse = (error: unknown) => socket.emit('error', errorMessage(error));
      socket.use(([event], next) => {
        const data = socket.data as SocketData;
        if (data.ended) return; // events already read when it went over budget: dropped
        const budget = data.budget;
        if (budget && !budget.allows(event === 'join-concert')) {
          data.ended = true;
          this.limits?.refused({
            transport: 'socket.io',
            address: (socket.data as SocketData).address ?? 'unknown',
            reason: 'rate-limited',
          });
          socket.emit('error', RATE_LIMITED_MESSAGE);
          socket.disconnect(true);
          return;
        }
        if (typeof event !== 'string' || !CLIENT_EVENTS.has(event)) {
          refuse(
            new TicketingError(
              'VALIDATION_FAILED',
              `Send one of the events ${[...CLIENT_EVENTS].join(', ')}`,
            ),
          );
          return;
        }
        next();
      });
      socket.on('join-concert', async (concertId: unknown) => {
        try {
          socket.emit(
            'concert-update',
            await joinConcert(deps, socket.id, parseConcertId(concertId, 'join-concert')),
          );
        } catch (error) {
          refuse(error);
        }
      });
      socket.on('leave-concert', async (concertId: unknown) => {
        try {
          await leaveConcert(deps, socket.id, parseConcertId(concertId, 'leave-concert'));
        } catch (error) {
          refuse(error);
        }
      });
      // `socket.emit('join-queue', concertId)`: the fan of the handshake's token takes (or finds) a place.
      socket.on('join-queue', async (concertId: unknown) => {
        try {
          const intake = handshakeToken(socket.handshake);
          if (intake.refused) throw new TicketingError('UNAUTHORIZED', intake.refused);
          const principal = intake.token ? await services.tokens.verify(intake.token) : null;
          const answer = await followQueue(
            queue,
            `${QUEUE_FOLLOWER_PREFIX}${socket.id}`,
            principal?.userId ?? null,
            parseConcertId(concertId, 'join-queue'),
            (socket.data as SocketData).address ?? this.addressOf(socket.request),
          );
          // A repeated join within the second, with nothing new, gets no second answer.
          if (answer) socket.emit('queue-position', answer);
        } catch (error) {
          refuse(error);
        }
      });
      socket.on('join-admin', async (payload: unknown) => {
        try {
          const intake = handshakeToken(socket.handshake);
          if (intake.refused) throw new TicketingError('UNAUTHORIZED', intake.refused);
          const token = typeof payload === 'string' && payload !== '' ? payload : intake.token;
          // Held before the feed is joined, so a re-check running meanwhile verifies this token; a
          // refused join leaves the token of an earlier successful one in place.
          const data = socket.data as SocketData;
          const earlier = data.adminToken;
          data.adminToken = token;
          try {
            // No token at all: the rule finds no principal (registered as none above) and refuses.
            await joinAdmins(deps, socket.id, token);
          } catch (error) {
            data.adminToken = earlier;
            throw error;
          }
        } catch (error) {
          refuse(error);
        }
      });
    });
  }

  /**
   * Bounds what each client may cost (see ClientLimits): over the per-address cap the handshake is
   * refused (`connect_error` "Too many connections…"); over budget the client gets an `error` event
   * (RATE_LIMITED) and is disconnected.
   */
  limitClients(limits: ClientLimits, addressOf: (request: IncomingMessage) => string): void {
    this.limits = limits;
    this.addressOf = addressOf;
  }

  /**
   * Ends the admin feed of every socket of this replica whose admin token no longer passes `allowed`:
   * it gets an `error` message (UNAUTHORIZED) and leaves the admin feed (concert watching goes on).
   */
  async recheckAdmins(allowed: (token: string | undefined) => Promise<boolean>): Promise<void> {
    for (const id of [...this.registry.adminsHere()]) {
      const socket = this.io.of('/').sockets.get(id);
      if (!socket || (await allowed((socket.data as SocketData).adminToken))) continue;
      this.registry.leaveAdmins(id);
      (socket.data as SocketData).adminToken = undefined;
      socket.emit('error', ADMIN_FEED_ENDED);
    }
  }

  /**
   * Sends `message` (as the event named by its `type`) to these sockets of this replica; Socket.IO
   * encodes the packet once for all of them. Ids of sockets gone meanwhile are skipped.
   */
  sendTo(socketIds: ReadonlySet<string>, message: RealtimeMessage | WaitlistOfferMessage): void {
    // An empty target list would mean "every socket" to Socket.IO.
    if (socketIds.size === 0) return;
    this.io.to([...socketIds]).emit(message.type, message);
  }

  /**
   * Sends a concert's newest update to the sockets of this gateway watching it: one broadcast to the
   * concert's room, encoded and framed once, except the slow sockets (SLOW_SOCKET_PACKETS), which get the
   * newest update once they drained (CoalescedBacklog). Returns how many sockets got it now.
   */
  broadcastConcertUpdate(concertId: string, message: RealtimeMessage | WaitlistOfferMessage): number {
    const room = concertRoom(concertId);
    const members = this.io.of('/').adapter.rooms.get(room);
    if (!members || members.size === 0) {
      this.backlog.forgetKey(concertId);
      return 0;
    }
    this.backlog.setLatest(concertId, message);
    const sockets = this.io.of('/').sockets;
    const slow: string[] = [];
    for (const id of members) {
      const socket = sockets.get(id);
      if (socket && !this.backlog.admit(socket, concertId)) slow.push(id);
    }
    if (slow.length < members.size) this.io.to(room).except(slow).emit(message.type, message);
    return members.size - slow.length;
  }

  /**
   * The largest backlog of one of this gateway's sockets: bytes its WebSocket holds unsent plus, at
   * `bytesPerPacket` each, the packets waiting in Engine.IO's write buffer.
   */
  largestBacklogBytes(bytesPerPacket = 0): number {
    let largest = 0;
    for (const socket of this.io.of('/').sockets.values()) {
      const conn = socket.conn as unknown as {
        writeBuffer?: unknown[];
        transport?: { socket?: { bufferedAmount?: number } };
      };
      const bytes =
        (conn.transport?.socket?.bufferedAmount ?? 0) + (conn.writeBuffer?.length ?? 0) * bytesPerPacket;
      largest = Math.max(largest, bytes);
    }
    return largest;
  }

  /** Registers the socket under the user of its handshake token, when that token verifies. */
  private async identify(socket: Socket, services: Pick<Services, 'tokens'>): Promise<void> {
    const { token } = handshakeToken(socket.handshake);
    if (!token) return;
    const principal = await services.tokens.verify(token).catch(() => null);
    if (principal && socket.connected)
      await this.registry.register(socket.id, { userId: principal.userId, admin: false });
  }

  /** Disconnects the clients; the HTTP server itself is closed by its owner. */
  close(): void {
    this.backlog.stop();
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }
}

/** What an admin feed gets when its token has run out or lost the admin role. */
export const ADMIN_FEED_ENDED = {
  type: 'error',
  code: 'UNAUTHORIZED',
  message: 'The admin token has expired or no longer carries the admin role: the admin feed has ended',
} as const;

/**
 * The token a Socket.IO client connected with: `auth: {token}` (socket.io-client's `io(url, {auth})`)
 * or the `?token=` query (`io(url, {query: {token}})`, as on raw `/ws`). Both may be sent only if they
 * agree, and the query parameter only once; an empty value counts as none. `join-admin` may also carry
 * the token as its payload.
 */
export function handshakeToken(handshake: Pick<Socket['handshake'], 'auth' | 'query'>): {
  token?: string;
  refused?: string;
} {
  const auth = handshake.auth as { token?: unknown } | undefined;
  const fromAuth = typeof auth?.token === 'string' && auth.token !== '' ? auth.token : undefined;
  const raw = handshake.query?.token;
  const fromQuery = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  if (fromQuery.length > 1) return { refused: 'Send one token: the token parameter is repeated' };
  if (fromAuth !== undefined && fromQuery[0] !== undefined && fromAuth !== fromQuery[0])
    return { refused: 'auth.token and the token parameter carry different tokens' };
  return { token: fromAuth ?? fromQuery[0] };
}

function parseConcertId(value: unknown, event: string): string {
  const id = typeof value === 'string' ? value : (value as { concertId?: unknown } | null)?.concertId;
  const parsed = concertIdArgument(id);
  if (parsed === 'invalid') throw new TicketingError('VALIDATION_FAILED', `${event} takes a concert id`);
  if (parsed === 'not-found') throw notFound('Concert');
  return parsed.id;
}

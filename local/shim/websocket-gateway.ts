import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Router } from 'express';
import * as wsModule from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { connectToken as tokenAtConnect } from '../../functions/core/connect-token';
import type { WebSocketEvent, WebSocketLambda } from '../../functions/handlers/websocket/websocket-handler';
import {
  type ClientLimits,
  type ConnectionBudget,
  RATE_LIMITED_MESSAGE,
  type RefusalReason,
  TOO_MANY_CONNECTIONS_MESSAGE,
} from './client-limits';
import { CoalescedBacklog, type Readiness } from './coalesced-backlog';
import { lambdaContext } from './lambda-context';

export interface WebSocketRoutes {
  connect: WebSocketLambda;
  disconnect: WebSocketLambda;
  /** Action name → handler; anything else (an inherited name such as `toString` too) goes to `$default`. */
  actions: Record<string, WebSocketLambda>;
  fallback: WebSocketLambda;
}

interface LocalConnection {
  socket: WebSocket;
  connectedAt: Date;
  lastActiveAt: Date;
  sourceIp: string;
  userAgent: string;
  alive: boolean;
  /** The `?token=` it connected with: an admin feed re-verifies it while it runs. */
  token: string | undefined;
  budget: ConnectionBudget | undefined;
}

/**
 * A socket whose unsent bytes (ws `bufferedAmount`: its queue plus the kernel-side write buffer Node still
 * holds) exceed this is skipped by the fan-out and later gets the newest update instead (CoalescedBacklog).
 */
export const SLOW_SOCKET_BYTES = 16 * 1024;

/** One server message framed once (an unmasked WebSocket text frame) for every socket it goes to. */
export interface PreFramed {
  /** The whole frame: header and payload. */
  frame: Buffer;
  /** The payload alone (UTF-8 JSON), for a socket that negotiated an extension. */
  payload: Buffer;
}

/**
 * Serialises `message` and builds its WebSocket text frame once (ws's own `Sender.frame`, as Socket.IO's
 * adapter does for its broadcasts), so a broadcast writes the same bytes to every socket.
 */
export function preFrame(message: unknown): PreFramed {
  const payload = Buffer.from(JSON.stringify(message));
  // `Sender` is exported by ws (wrapper.mjs) but not declared by @types/ws.
  const parts = (
    wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }
  ).Sender.frame(payload, { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false });
  return { frame: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts), payload };
}

/** ws's sender, which writes whole frames to the socket (untyped: the same member Engine.IO uses). */
interface FrameSender {
  sendFrame(list: Buffer[], cb?: (error?: Error) => void): void;
}

/** Writes a pre-built frame to one socket: one write, no per-socket framing or copy. */
function writeFrame(socket: WebSocket, message: PreFramed): void {
  const sender = (socket as unknown as { _sender?: Partial<FrameSender> })._sender;
  // With an extension (permessage-deflate, off on this server) the frame must go through ws itself.
  if (socket.extensions === '' && typeof sender?.sendFrame === 'function') sender.sendFrame([message.frame]);
  else socket.send(message.payload, { binary: false });
}

function readiness(socket: WebSocket): Readiness {
  if (socket.readyState !== WebSocket.OPEN) return 'gone';
  return socket.bufferedAmount <= SLOW_SOCKET_BYTES;
}

const MAX_MESSAGE_BYTES = 128 * 1024; // API Gateway's WebSocket frame limit, for what the server posts
/** Largest client frame: the protocol's messages are a few hundred bytes (ws closes with 1009 beyond). */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024;

/**
 * API Gateway's WebSocket API, locally: `/ws` upgrades become `$connect`, frames become route events,
 * closes become `$disconnect`, all for the very handlers Lambda runs. `/@connections/{id}` is the
 * management API, so the real SDK client posts to these sockets.
 */
export class WebSocketGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES });
  private readonly connections = new Map<string, LocalConnection>();
  private readonly heartbeat: NodeJS.Timeout;
  private limits: ClientLimits | undefined;
  /** Concert updates owed to sockets that were too slow to take them when they went out. */
  readonly backlog = new CoalescedBacklog<WebSocket, PreFramed>({ ready: readiness, send: writeFrame });
  private addressOf: (request: IncomingMessage) => string = (request) =>
    request.socket.remoteAddress ?? 'unknown';

  constructor(
    private readonly routes: WebSocketRoutes,
    private readonly domainName: () => string,
    private readonly onError: (error: unknown) => void,
  ) {
    this.heartbeat = setInterval(() => this.checkAlive(), 30_000);
    this.heartbeat.unref();
  }

  /**
   * Bounds what each client may cost (per-address connections, frame and join budgets): over the cap, or
   * over budget, a connection gets an `error` message (RATE_LIMITED) and is closed (1008).
   * @param addressOf the client address of an upgrade request (TRUST_PROXY applied), as the HTTP limits key it
   */
  limitClients(limits: ClientLimits, addressOf: (request: IncomingMessage) => string): void {
    this.limits = limits;
    this.addressOf = addressOf;
  }

  /** Ids of the sockets this process holds open. */
  connectionIds(): string[] {
    return [...this.connections.keys()];
  }

  /** The token a connection was opened with (`?token=`), if any. */
  connectionToken(connectionId: string): string | undefined {
    return this.connections.get(connectionId)?.token;
  }

  /**
   * Sends a last message (an `error`) and closes the connection with a policy-violation close (1008);
   * the close is logged and counted under `refusal`.
   */
  end(connectionId: string, message: unknown, reason: string, refusal: RefusalReason): void {
    const connection = this.connections.get(connectionId);
    if (!connection) return;
    this.refused(connection.sourceIp, refusal);
    endSocket(connection.socket, message, reason);
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://local');
      if (url.pathname !== '/ws') return; // Socket.IO takes its own path
      this.wss.handleUpgrade(request, socket, head, (ws) => void this.accept(ws, request, url));
    });
  }

  /** Sockets held by this process (for the replica's own fan-out). */
  socket(connectionId: string): WebSocket | undefined {
    const connection = this.connections.get(connectionId);
    return connection?.socket.readyState === WebSocket.OPEN ? connection.socket : undefined;
  }

  /**
   * Sends one pre-framed message to these connections of this process; returns how many got it now.
   * With `coalesceKey` (a concert id: the message is that concert's newest update), a socket whose send
   * buffer is over SLOW_SOCKET_BYTES is skipped and gets the key's newest frame once it drained; without
   * it (admin notices, a fan's own offer: nothing may be lost) every open socket gets it.
   */
  broadcast(connectionIds: Iterable<string>, message: PreFramed, coalesceKey?: string): number {
    if (coalesceKey !== undefined) this.backlog.setLatest(coalesceKey, message);
    let sent = 0;
    for (const id of connectionIds) {
      const socket = this.connections.get(id)?.socket;
      if (!socket || socket.readyState !== WebSocket.OPEN) continue;
      if (coalesceKey !== undefined && !this.backlog.admit(socket, coalesceKey)) continue;
      writeFrame(socket, message);
      sent++;
    }
    return sent;
  }

  /** The largest `bufferedAmount` (bytes queued and not yet taken by the kernel) of this process's sockets. */
  largestBacklogBytes(): number {
    let largest = 0;
    for (const { socket } of this.connections.values()) largest = Math.max(largest, socket.bufferedAmount);
    return largest;
  }

  get size(): number {
    return this.connections.size;
  }

  /** The management API. Only for this host's own processes: it is not part of the public surface. */
  managementRouter(): Router {
    const router = express.Router();
    router.use('/@connections', (req, res, next) => {
      const remote = req.socket.remoteAddress ?? '';
      if (remote === '127.0.0.1' || remote === '::1' || remote === '::ffff:127.0.0.1') return next();
      res.status(403).json({ message: 'Forbidden' });
    });
    router.post(
      '/@connections/:id',
      express.raw({ type: () => true, limit: MAX_MESSAGE_BYTES }),
      (req, res) => {
        const socket = this.socket(String(req.params.id));
        if (!socket) return gone(res);
        socket.send(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
        res.status(200).end();
      },
    );
    router.get('/@connections/:id', (req, res) => {
      const connection = this.connections.get(String(req.params.id));
      if (!connection) return gone(res);
      // The wire names of API Gateway's GetConnection (the SDK maps them to ConnectedAt, …).
      res.json({
        connectedAt: connection.connectedAt.toISOString(),
        lastActiveAt: connection.lastActiveAt.toISOString(),
        identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      });
    });
    router.delete('/@connections/:id', (req, res) => {
      const connection = this.connections.get(String(req.params.id));
      if (!connection) return gone(res);
      connection.socket.close(1000, 'closed by the server');
      res.status(204).end();
    });
    return router;
  }

  /** Closes every socket with "going away" (1001) so clients reconnect elsewhere during a rolling update. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.backlog.stop();
    for (const { socket } of this.connections.values()) socket.close(1001, 'server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async accept(ws: WebSocket, request: IncomingMessage, url: URL): Promise<void> {
    const connectionId = randomBytes(12).toString('base64url');
    const now = new Date();
    const sourceIp = this.addressOf(request);
    const budget = this.limits?.open(sourceIp);
    if (this.limits && !budget) {
      ws.on('error', () => ws.terminate());
      this.refused(sourceIp, 'too-many-connections');
      endSocket(ws, TOO_MANY_CONNECTIONS_MESSAGE, 'too many connections');
      return;
    }
    ws.once('close', () => budget?.release());
    const intake = connectToken(request, url);
    if (intake.refused) {
      ws.on('error', () => ws.terminate());
      this.refused(sourceIp, 'unauthorized');
      endSocket(ws, { type: 'error', code: 'UNAUTHORIZED', message: intake.refused }, 'unauthorized');
      return;
    }
    const connection: LocalConnection = {
      socket: ws,
      connectedAt: now,
      lastActiveAt: now,
      sourceIp,
      userAgent: String(request.headers['user-agent'] ?? ''),
      alive: true,
      token: intake.token,
      budget,
    };
    // Frames that arrive while $connect runs wait for it, as API Gateway does (within the same budget).
    const early: string[] = [];
    let ready = false;
    let ended = false;
    ws.on('message', (data) => {
      if (ended) return;
      const text = data.toString();
      if (budget && !budget.allows(isJoin(text))) {
        ended = true;
        this.refused(sourceIp, 'rate-limited');
        endSocket(ws, RATE_LIMITED_MESSAGE, 'rate limited');
        return;
      }
      if (ready) void this.dispatch(connectionId, text);
      else early.push(text);
    });
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('close', () => {
      if (!this.connections.delete(connectionId)) return;
      void this.invoke(
        this.routes.disconnect,
        this.event(connection, connectionId, '$disconnect', 'DISCONNECT'),
      );
    });
    ws.on('error', (error: Error & { code?: string }) => {
      // ws has already closed with 1009 for a frame over maxPayload.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' && !ended) {
        ended = true;
        this.refused(sourceIp, 'frame-too-large');
      }
      ws.terminate();
    });

    // Own properties only, whatever the names (`__proto__` included).
    const query: Record<string, string> = Object.fromEntries(url.searchParams);
    if (intake.token !== undefined) query.token = intake.token;
    const result = await this.invoke(this.routes.connect, {
      ...this.event(connection, connectionId, '$connect', 'CONNECT'),
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
    });
    if (result?.statusCode !== 200) {
      if (result?.statusCode === 401) this.refused(sourceIp, 'unauthorized');
      ws.close(1008, result?.statusCode === 401 ? 'unauthorized' : 'connection refused');
      return;
    }
    if (ws.readyState !== WebSocket.OPEN) {
      void this.invoke(
        this.routes.disconnect,
        this.event(connection, connectionId, '$disconnect', 'DISCONNECT'),
      );
      return;
    }
    this.connections.set(connectionId, connection);
    ready = true;
    for (const text of early) await this.dispatch(connectionId, text);
  }

  private refused(address: string, reason: RefusalReason): void {
    this.limits?.refused({ transport: 'ws', address, reason });
  }

  private async dispatch(connectionId: string, text: string): Promise<void> {
    const connection = this.connections.get(connectionId);
    if (!connection) return;
    connection.lastActiveAt = new Date();
    let action: unknown;
    try {
      action = (JSON.parse(text) as { action?: unknown }).action;
    } catch {
      action = undefined;
    }
    // Own, listed actions only: `toString` or `constructor` must not find Object.prototype's functions.
    const routeKey =
      typeof action === 'string' && Object.hasOwn(this.routes.actions, action) ? action : '$default';
    const handler = this.routes.actions[routeKey] ?? this.routes.fallback;
    await this.invoke(handler, { ...this.event(connection, connectionId, routeKey, 'MESSAGE'), body: text });
  }

  /**
   * An API Gateway WebSocket event for the connection, with `requestContext.identity` as API Gateway
   * gives it: `sourceIp` the client address as the HTTP limits key it (TRUST_PROXY applied, see
   * `limitClients`).
   */
  private event(
    connection: Pick<LocalConnection, 'sourceIp'>,
    connectionId: string,
    routeKey: string,
    eventType: string,
  ): WebSocketEvent {
    return {
      requestContext: {
        connectionId,
        routeKey,
        eventType,
        domainName: this.domainName(),
        stage: 'local',
        requestId: randomUUID(),
        identity: { sourceIp: connection.sourceIp },
      },
      isBase64Encoded: false,
    };
  }

  private async invoke(handler: WebSocketLambda, event: WebSocketEvent) {
    try {
      return await handler(
        event,
        lambdaContext(`ws-${event.requestContext.routeKey}`, event.requestContext.requestId ?? ''),
      );
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  private checkAlive(): void {
    for (const connection of this.connections.values()) {
      if (!connection.alive) connection.socket.terminate();
      else {
        connection.alive = false;
        connection.socket.ping();
      }
    }
  }
}

function endSocket(socket: WebSocket, message: unknown, reason: string): void {
  if (socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify(message), () => socket.close(1008, reason));
}

/** The token a raw `/ws` upgrade carries (the rule is `connectToken` in the core, shared with `$connect`). */
export function connectToken(
  request: Pick<IncomingMessage, 'headers'>,
  url: URL,
): { token?: string; refused?: string } {
  const header = request.headers.authorization;
  return tokenAtConnect(url.searchParams.getAll('token'), typeof header === 'string' ? header : undefined);
}

/** Whether a frame asks to join a concert (counted against the join budget as well as the frame one). */
function isJoin(text: string): boolean {
  // Decided on the parsed action, as dispatch decides: `join\u002dconcert` is a join too (a frame is at
  // most 16 KB and budgeted, so parsing it twice is cheap).
  try {
    const parsed: unknown = JSON.parse(text);
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      (parsed as { action?: unknown }).action === 'join-concert'
    );
  } catch {
    return false;
  }
}

function gone(res: express.Response): void {
  res.status(410).set('x-amzn-errortype', 'GoneException').json({ message: 'GoneException' });
}

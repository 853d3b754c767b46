import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import WebSocket from 'ws';

/** Collects every message a client receives, and waits for the one a test expects. */
export class Inbox<T = any> {
  readonly messages: T[] = [];
  private waiters: Array<{ test: (m: T) => boolean; resolve: (m: T) => void }> = [];

  push(message: T): void {
    this.messages.push(message);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.test(message)) return true;
      waiter.resolve(message);
      return false;
    });
  }

  next(test: (m: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no matching message in ${timeoutMs} ms; got ${JSON.stringify(this.messages.slice(-5))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  clear(): void {
    this.messages.length = 0;
  }
}

export interface RawClient {
  socket: WebSocket;
  inbox: Inbox;
  send(message: unknown): void;
  close(): void;
}

/** A plain `ws` client on `/ws`, as a browser's WebSocket or an API Gateway client would be. */
export async function rawClient(baseUrl: string, token?: string): Promise<RawClient> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const socket = new WebSocket(url);
  const inbox = new Inbox();
  socket.on('message', (data) => inbox.push(JSON.parse(data.toString())));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    inbox,
    send: (message) => socket.send(JSON.stringify(message)),
    close: () => socket.close(),
  };
}

export interface SocketIoClient {
  socket: Socket;
  inbox: Inbox;
  close(): void;
}

/** socket.io-client exactly as the contract's browser snippet uses it. */
export async function socketIoClient(
  baseUrl: string,
  auth?: { token: string },
  options: Partial<ManagerOptions & SocketOptions> = {},
): Promise<SocketIoClient> {
  const socket = io(baseUrl, { auth, reconnection: false, ...options });
  const inbox = new Inbox();
  socket.on('concert-update', (m) => inbox.push(m));
  socket.on('admin-notification', (m) => inbox.push(m));
  socket.on('reservations', (m) => inbox.push(m));
  socket.on('error', (m) => inbox.push(m));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, inbox, close: () => socket.close() };
}

/**
 * Waits until every admin feed in `feeds` is live. `join-admin` has no answer of its own, so this creates
 * a concert (`createProbe`, which returns the new concert's id) and waits up to `tryMs` (ms) for its
 * `concert-created` notice on every feed; it tries again, `tries` times in all, then throws the last
 * timeout. The probe concerts' notices stay in the inboxes.
 */
export async function adminFeedsLive(
  feeds: Array<RawClient | SocketIoClient>,
  createProbe: () => Promise<string>,
  { tries = 10, tryMs = 1_000 } = {},
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const concertId = await createProbe();
    const announced = (feed: RawClient | SocketIoClient) =>
      feed.inbox.next(
        (m) => m.type === 'admin-notification' && m.event === 'concert-created' && m.concertId === concertId,
        tryMs,
      );
    try {
      await Promise.all(feeds.map(announced));
      return;
    } catch (error) {
      if (attempt >= tries) throw error;
    }
  }
}

import type {
  AdminNotification,
  ConcertUpdateMessage,
  ErrorMessage,
  QueuePositionMessage,
  ReservationsSummary,
  WaitlistOfferMessage,
} from '../api/contract';

export type ServerMessage =
  | ConcertUpdateMessage
  | AdminNotification
  | ErrorMessage
  | QueuePositionMessage
  | ReservationsSummary
  | WaitlistOfferMessage;
export type LinkState = 'connecting' | 'live' | 'reconnecting';

const MAX_BACKOFF_MS = 10_000;

/**
 * The raw WebSocket of the contract (`/ws`). It re-opens after a drop with growing pauses and joins again
 * what it had joined: the server answers every join with a fresh snapshot, so nothing is missed.
 */
export class LiveSocket {
  private socket: WebSocket | null = null;
  private readonly concerts = new Set<string>();
  private readonly queues = new Set<string>();
  private readonly listeners = new Set<(message: ServerMessage) => void>();
  private admin = false;
  private attempts = 0;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly onMessage: (message: ServerMessage) => void,
    private readonly onState: (state: LinkState) => void = () => {},
    private readonly token: string | null = null,
  ) {
    this.open();
  }

  joinConcert(concertId: string): void {
    if (this.concerts.has(concertId)) return;
    this.concerts.add(concertId);
    this.send({ action: 'join-concert', concertId });
  }

  leaveConcert(concertId: string): void {
    if (!this.concerts.delete(concertId)) return;
    this.send({ action: 'leave-concert', concertId });
  }

  joinAdmin(): void {
    this.admin = true;
    this.send({ action: 'join-admin' });
  }

  /**
   * Follow the signed-in fan's place in the concert's waiting room (`join-queue`; needs the socket opened with
   * the fan's token): the server answers with a `queue-position` at once, then on every change (at most one a
   * second). Sent again after a reconnect, like the concerts joined.
   */
  joinQueue(concertId: string): void {
    this.queues.add(concertId);
    this.send({ action: 'join-queue', concertId });
  }

  /** Another reader of every message (besides `onMessage`); the returned function stops it. */
  listen(listener: (message: ServerMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000);
  }

  private open(): void {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = this.token ? `?token=${encodeURIComponent(this.token)}` : '';
    const socket = new WebSocket(`${scheme}//${location.host}/ws${query}`);
    this.socket = socket;
    this.onState(this.attempts === 0 ? 'connecting' : 'reconnecting');
    socket.onopen = () => {
      this.attempts = 0;
      this.onState('live');
      for (const concertId of this.concerts) this.send({ action: 'join-concert', concertId });
      if (this.admin) this.send({ action: 'join-admin' });
      for (const concertId of this.queues) this.send({ action: 'join-queue', concertId });
    };
    socket.onmessage = (event) => {
      let message: ServerMessage;
      try {
        message = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        return; // not one of ours: ignore
      }
      this.onMessage(message);
      for (const listener of this.listeners) listener(message);
    };
    socket.onclose = () => {
      if (this.closed) return;
      this.onState('reconnecting');
      const pause = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts++);
      this.retryTimer = setTimeout(() => this.open(), pause * (0.5 + Math.random() / 2));
    };
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

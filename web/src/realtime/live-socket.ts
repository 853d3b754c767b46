import type {
  AdminNotification,
  ConcertUpdateMessage,
  ErrorMessage,
  WaitlistOfferMessage,
} from '../api/contract';

export type ServerMessage = ConcertUpdateMessage | AdminNotification | ErrorMessage | WaitlistOfferMessage;
export type LinkState = 'connecting' | 'live' | 'reconnecting';

const MAX_BACKOFF_MS = 10_000;

/**
 * The raw WebSocket of the contract (`/ws`). It re-opens after a drop with growing pauses and joins again
 * what it had joined: the server answers every join with a fresh snapshot, so nothing is missed.
 */
export class LiveSocket {
  private socket: WebSocket | null = null;
  private readonly concerts = new Set<string>();
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
    };
    socket.onmessage = (event) => {
      try {
        this.onMessage(JSON.parse(String(event.data)) as ServerMessage);
      } catch {
        // not one of ours: ignore
      }
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

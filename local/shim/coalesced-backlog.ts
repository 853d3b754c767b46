/** Whether a socket can take a frame now (`true`), is slow (`false`: its send buffer is over the mark), or is gone. */
export type Readiness = boolean | 'gone';

/** How a backlog reads and writes one kind of socket (raw `ws`, Socket.IO). */
export interface BacklogPort<S, F> {
  ready(socket: S): Readiness;
  send(socket: S, frame: F): void;
}

/**
 * Backpressure for the live fan-out, coalescing to the newest: a socket whose send buffer is over its
 * mark is skipped for an update instead of queueing it without bound (what ran the shim out of memory
 * under 10,000 watchers), and is owed the update's key (a concert). Every `sweepMs` while anything is
 * owed, each owed socket that has drained gets the NEWEST frame of each key it is owed, never an older one
 * after a newer (frames per key only move forward: `setLatest` is called in version order). A socket that
 * is reached by a later update directly is no longer owed that key.
 *
 * Memory: one frame per key and one small set per slow socket; nothing per update per watcher.
 */
export class CoalescedBacklog<S, F> {
  private readonly latest = new Map<string, F>();
  private readonly owed = new Map<S, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  /** Updates skipped for a slow socket (each later made good by the newest frame, or the socket left). */
  coalesced = 0;

  constructor(
    private readonly port: BacklogPort<S, F>,
    private readonly sweepMs = 20,
  ) {}

  /** The newest frame of `key`: callers pass frames of one key in increasing version order. */
  setLatest(key: string, frame: F): void {
    this.latest.set(key, frame);
  }

  /** Forgets `key`'s newest frame (no socket watches it any more). */
  forgetKey(key: string): void {
    this.latest.delete(key);
  }

  /**
   * Whether `socket` should get `key`'s newest frame now. When it is slow, it is owed the key instead
   * (and gets the newest frame once it drained); when it is gone, false.
   */
  admit(socket: S, key: string): boolean {
    const readiness = this.port.ready(socket);
    if (readiness === true) {
      const keys = this.owed.get(socket);
      if (keys?.delete(key) && keys.size === 0) this.owed.delete(socket);
      return true;
    }
    if (readiness === 'gone') {
      this.owed.delete(socket);
      return false;
    }
    this.coalesced++;
    let keys = this.owed.get(socket);
    if (!keys) {
      keys = new Set();
      this.owed.set(socket, keys);
    }
    keys.add(key);
    this.timer ??= setInterval(() => this.sweep(), this.sweepMs);
    this.timer.unref?.();
    return false;
  }

  /** Sockets owed at least one key. */
  get owing(): number {
    return this.owed.size;
  }

  /** Sends the newest frames to the owed sockets that have drained; drops the gone ones. */
  sweep(): void {
    for (const [socket, keys] of this.owed) {
      const readiness = this.port.ready(socket);
      if (readiness === false) continue;
      this.owed.delete(socket);
      if (readiness === 'gone') continue;
      for (const key of keys) {
        const frame = this.latest.get(key);
        if (frame !== undefined) this.port.send(socket, frame);
      }
    }
    if (this.owed.size === 0) this.stop();
  }

  /** Stops the sweep (the owed sockets are forgotten). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.owed.clear();
  }
}

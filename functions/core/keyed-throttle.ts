/**
 * At most one flush per key every `intervalMs`, always with the latest value: the first push of a quiet
 * key goes out at once, later ones inside the window are merged into one trailing flush.
 */
export class KeyedThrottle<T> {
  private readonly lastFlush = new Map<string, number>();
  private readonly pending = new Map<string, { value: T; timer: NodeJS.Timeout }>();

  constructor(
    private readonly intervalMs: number,
    private readonly flush: (key: string, value: T) => void,
    /** Picks what to keep when a key is pushed again before its flush (default: the newer value). */
    private readonly merge: (older: T, newer: T) => T = (_older, newer) => newer,
  ) {}

  push(key: string, value: T): void {
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.value = this.merge(waiting.value, value);
      return;
    }
    const wait = (this.lastFlush.get(key) ?? Number.NEGATIVE_INFINITY) + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.emit(key, value);
      return;
    }
    const timer = setTimeout(() => {
      const entry = this.pending.get(key);
      this.pending.delete(key);
      if (entry) this.emit(key, entry.value);
    }, wait);
    timer.unref?.();
    this.pending.set(key, { value, timer });
  }

  close(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private emit(key: string, value: T): void {
    const now = Date.now();
    this.lastFlush.set(key, now);
    if (this.lastFlush.size > 10_000) {
      for (const [k, at] of this.lastFlush) if (now - at > this.intervalMs) this.lastFlush.delete(k);
    }
    this.flush(key, value);
  }
}

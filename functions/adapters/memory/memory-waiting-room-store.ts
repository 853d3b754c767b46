import type {
  MarkedAdmission,
  Pacing,
  PlaceRequest,
  StoredPlace,
  WaitingRoomStore,
} from '../../ports/waiting-room.store.port';

interface ConcertQueue {
  /** Waiting fans sorted by (score, userId): the order Redis keeps a sorted set in. */
  waiting: Array<{ score: number; userId: string }>;
  scores: Map<string, number>;
  admitted: Map<string, { admittedAtMs: number; closesAtMs?: number }>;
  arrivals: number;
  pacing: Pacing | null;
}

const before = (a: { score: number; userId: string }, b: { score: number; userId: string }) =>
  a.score < b.score || (a.score === b.score && a.userId < b.userId);

/**
 * The waiting room in this process's memory (embedded mode, and tests): the same behaviour as the Redis
 * store, one process only. Lost when the process ends: see docs/waiting-room.md for what survives.
 */
export class MemoryWaitingRoomStore implements WaitingRoomStore {
  private readonly queues = new Map<string, ConcertQueue>();
  private readonly leases = new Map<string, { holder: string; untilMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async join(
    concertId: string,
    userId: string,
    request: PlaceRequest,
  ): Promise<{ place: StoredPlace; created: boolean }> {
    const queue = this.queue(concertId);
    const existing = this.placeOf(queue, userId);
    if (existing) return { place: existing, created: false };
    const score = request.kind === 'draw' ? request.score : 1 + ++queue.arrivals;
    const entry = { score, userId };
    queue.waiting.splice(this.insertionIndex(queue, entry), 0, entry);
    queue.scores.set(userId, score);
    return { place: this.placeOf(queue, userId) as StoredPlace, created: true };
  }

  async places(concertId: string, userIds: readonly string[]): Promise<Array<StoredPlace | null>> {
    const queue = this.queue(concertId);
    return userIds.map((userId) => this.placeOf(queue, userId));
  }

  async peekNext(concertId: string, count: number): Promise<string[]> {
    return this.queue(concertId)
      .waiting.slice(0, Math.max(0, count))
      .map((entry) => entry.userId);
  }

  async markAdmitted(concertId: string, admissions: readonly MarkedAdmission[]): Promise<void> {
    const queue = this.queue(concertId);
    const leaving = new Set<string>();
    for (const { userId, admittedAtMs, closesAtMs } of admissions) {
      queue.admitted.set(userId, closesAtMs === undefined ? { admittedAtMs } : { admittedAtMs, closesAtMs });
      if (queue.scores.delete(userId)) leaving.add(userId);
    }
    if (leaving.size > 0) queue.waiting = queue.waiting.filter((entry) => !leaving.has(entry.userId));
  }

  async drawArrivals(concertId: string, random: () => number): Promise<number> {
    const queue = this.queue(concertId);
    // Arrival scores are ≥ 2 (1 + arrival number) and sort after every draw: the tail of the line.
    const first = queue.waiting.findIndex((entry) => entry.score >= 1);
    if (first < 0) return 0;
    const arrivals = queue.waiting.splice(first);
    for (const { userId } of arrivals) {
      const entry = { score: random(), userId };
      queue.waiting.splice(this.insertionIndex(queue, entry), 0, entry);
      queue.scores.set(userId, entry.score);
    }
    return arrivals.length;
  }

  async counts(concertId: string): Promise<{ waiting: number; admitted: number }> {
    const queue = this.queue(concertId);
    return { waiting: queue.waiting.length, admitted: queue.admitted.size };
  }

  async readPacing(concertId: string): Promise<Pacing | null> {
    return this.queue(concertId).pacing;
  }

  async writePacing(concertId: string, pacing: Pacing): Promise<void> {
    this.queue(concertId).pacing = pacing;
  }

  async lease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const current = this.leases.get(name);
    if (current && current.holder !== holder && current.untilMs > now) return false;
    this.leases.set(name, { holder, untilMs: now + ttlMs });
    return true;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }

  /** Forgets every queue and lease, as a lost store would (tests of the store-loss rule). */
  clear(): void {
    this.queues.clear();
    this.leases.clear();
  }

  private queue(concertId: string): ConcertQueue {
    let queue = this.queues.get(concertId);
    if (!queue) {
      queue = { waiting: [], scores: new Map(), admitted: new Map(), arrivals: 0, pacing: null };
      this.queues.set(concertId, queue);
    }
    return queue;
  }

  private placeOf(queue: ConcertQueue, userId: string): StoredPlace | null {
    const admitted = queue.admitted.get(userId);
    if (admitted !== undefined) return { state: 'admitted', ...admitted };
    const score = queue.scores.get(userId);
    if (score === undefined) return null;
    return { state: 'waiting', score, rank: this.insertionIndex(queue, { score, userId }) };
  }

  /** Binary search: how many waiting entries sort before `entry`. */
  private insertionIndex(queue: ConcertQueue, entry: { score: number; userId: string }): number {
    let low = 0;
    let high = queue.waiting.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (before(queue.waiting[middle] as { score: number; userId: string }, entry)) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

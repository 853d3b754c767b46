import type { Concert } from '../../core/model';
import type { ConcertUpdateMessage, RealtimeMessage } from '../../core/realtime';
import { applyConcertUpdate } from '../../core/realtime';
import type {
  ChangeEffects,
  ConcertChange,
  ConcertRepository,
  NewConcert,
  TimedConcert,
  TimedConcertReads,
} from '../../ports/concert.repository.port';
import type { EventBus } from '../../ports/event-bus.port';

/** The longest a cached concert is served without a reload (ms): the staleness bound across replicas. */
export const CONCERT_CACHE_MAX_AGE_MS = 2_000;

interface Entry<T> {
  value: T;
  /** Epoch ms after which the entry is not served: the load's start + max age, or a hold's end if sooner. */
  until: number;
}

interface Load<T> {
  generation: number;
  promise: Promise<T>;
}

/**
 * Concert reads from memory. What this instance commits is visible to its next read at once: the
 * composition root calls `invalidate` synchronously when a change commits (before the response goes out).
 * Changes made on other replicas arrive as published `concert-update`s: one that frees tickets patches the
 * entry (never going back to an older version); one that takes tickets drops it (a new hold's end is not
 * in the message). An entry is never served past `maxAgeMs` after its load started (so a lost message
 * heals within that bound) nor past the earliest `expiresAt` of a live hold it counts (so an overdue hold
 * reads as free at once, exactly as the sale path counts it). Concurrent misses share one load; a load
 * that an invalidation overtook answers its caller but is not kept. Writes go straight to the database.
 */
export class CachedConcertRepository implements ConcertRepository {
  private readonly byId = new Map<string, Entry<Concert>>();
  private everything: Entry<Concert[]> | undefined;
  private readonly loadingOne = new Map<string, Load<Concert | null>>();
  private loadingAll: Load<Concert[]> | undefined;
  /** Grows with every invalidation: a load of the list that started before one must not be kept. */
  private generation = 0;
  /**
   * The generation at which each concert was last invalidated: a load of one concert is dropped only when
   * that concert changed after it started. (One counter for all made any hold on any concert drop every
   * load in flight: with 100 concerts on sale nearly every hold read its concert again, 736 reads for 528
   * holds in the issue 19 bench.)
   */
  private readonly invalidatedAt = new Map<string, number>();
  private unsubscribe: (() => Promise<void>) | undefined;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: ConcertRepository & TimedConcertReads,
    private readonly maxAgeMs = CONCERT_CACHE_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async listen(bus: EventBus): Promise<void> {
    this.unsubscribe = await bus.subscribe((message) => this.apply(message));
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }

  /** Forgets a concert (and the list): called synchronously once this instance committed a change to it. */
  invalidate(concertId: string): void {
    this.byId.delete(concertId);
    this.everything = undefined;
    this.generation++;
    this.invalidatedAt.set(concertId, this.generation);
  }

  async list(): Promise<Concert[]> {
    if (this.everything && this.now() < this.everything.until) {
      this.hits++;
      return this.everything.value;
    }
    this.misses++;
    if (!this.loadingAll || this.loadingAll.generation !== this.generation) {
      const load: Load<Concert[]> = { generation: this.generation, promise: this.loadAll(this.generation) };
      this.loadingAll = load;
      // Bookkeeping on both outcomes; a failed load rejects its callers only (a bare `finally` would leave
      // an unhandled rejection of its own, which ends the process).
      const settled = () => {
        if (this.loadingAll === load) this.loadingAll = undefined;
      };
      load.promise.then(settled, settled);
    }
    return this.loadingAll.promise;
  }

  async get(id: string): Promise<Concert | null> {
    const entry = this.byId.get(id);
    if (entry && this.now() < entry.until) {
      this.hits++;
      return entry.value;
    }
    this.misses++;
    let load = this.loadingOne.get(id);
    if (!load || !this.current(id, load.generation)) {
      const started: Load<Concert | null> = {
        generation: this.generation,
        promise: this.loadOne(id, this.generation),
      };
      load = started;
      this.loadingOne.set(id, started);
      const settled = () => {
        if (this.loadingOne.get(id) === started) this.loadingOne.delete(id);
      };
      started.promise.then(settled, settled);
    }
    return load.promise;
  }

  async insert(concert: NewConcert): Promise<Concert | null> {
    this.everything = undefined;
    this.generation++;
    return this.inner.insert(concert);
  }

  async update(id: string, change: ConcertChange, effects?: ChangeEffects) {
    this.invalidate(id);
    return this.inner.update(id, change, effects);
  }

  private async loadOne(id: string, generation: number): Promise<Concert | null> {
    const startedAt = this.now();
    const timed = await this.inner.getTimed(id);
    if (timed && this.current(id, generation)) {
      this.byId.set(id, { value: timed.concert, until: this.until(startedAt, [timed]) });
    }
    return timed?.concert ?? null;
  }

  /** True when a load of `id` that started at `generation` has not been overtaken by a change to it. */
  private current(id: string, generation: number): boolean {
    return (this.invalidatedAt.get(id) ?? 0) <= generation;
  }

  private async loadAll(generation: number): Promise<Concert[]> {
    const startedAt = this.now();
    const timed = await this.inner.listTimed();
    const concerts = timed.map((t) => t.concert);
    if (generation === this.generation)
      this.everything = { value: concerts, until: this.until(startedAt, timed) };
    return concerts;
  }

  private until(startedAt: number, timed: TimedConcert[]): number {
    let until = startedAt + this.maxAgeMs;
    for (const t of timed) if (t.nextExpiryAt !== null && t.nextExpiryAt < until) until = t.nextExpiryAt;
    return until;
  }

  private apply(message: RealtimeMessage): void {
    if (message.type === 'concert-update') {
      const entry = this.byId.get(message.concertId);
      const listed = this.everything?.value.find((c) => c.id === message.concertId);
      if ((entry && takesTickets(entry.value, message)) || (listed && takesTickets(listed, message))) {
        this.invalidate(message.concertId);
        return;
      }
      if (entry) entry.value = applyConcertUpdate(entry.value, message);
      if (this.everything) {
        this.everything.value = this.everything.value.map((c) => applyConcertUpdate(c, message));
      }
    } else if (
      message.type === 'admin-notification' &&
      (message.event === 'concert-created' || message.event === 'concert-updated')
    ) {
      this.invalidate(message.concertId);
    }
  }
}

/** A newer update with fewer tickets free in some tier (or a tier the copy lacks): new holds or sales. */
function takesTickets(concert: Concert, update: ConcertUpdateMessage): boolean {
  if (update.version <= concert.version) return false;
  const held = new Map(concert.tiers.map((tier) => [tier.id, tier]));
  return update.tiers.some((tier) => {
    const known = held.get(tier.id);
    return !known || tier.available < known.available || tier.capacity !== known.capacity;
  });
}

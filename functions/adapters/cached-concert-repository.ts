import type { Concert } from '../core/model';
import { applyConcertUpdate, type RealtimeMessage } from '../core/realtime';
import type { ConcertChange, ConcertRepository, NewConcert } from '../ports/concert.repository.port';
import type { EventBus } from '../ports/event-bus.port';

interface Entry<T> {
  value: T;
  loadedAt: number;
}

/**
 * Concert reads from memory, kept fresh by the same events the watchers get: a `concert-update` patches
 * the cached availability (never going back to an older version), an admin's create or edit drops the
 * entry. Entries also expire after `maxAgeMs`, because a hold that times out changes availability
 * without any event. Writes go straight to the database.
 */
export class CachedConcertRepository implements ConcertRepository {
  private readonly byId = new Map<string, Entry<Concert>>();
  private everything: Entry<Concert[]> | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: ConcertRepository,
    private readonly maxAgeMs = 2_000,
  ) {}

  async listen(bus: EventBus): Promise<void> {
    this.unsubscribe = await bus.subscribe((message) => this.apply(message));
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }

  async list(): Promise<Concert[]> {
    if (this.everything && this.fresh(this.everything)) {
      this.hits++;
      return this.everything.value;
    }
    this.misses++;
    const concerts = await this.inner.list();
    this.everything = { value: concerts, loadedAt: Date.now() };
    return concerts;
  }

  async get(id: string): Promise<Concert | null> {
    const entry = this.byId.get(id);
    if (entry && this.fresh(entry)) {
      this.hits++;
      return entry.value;
    }
    this.misses++;
    const concert = await this.inner.get(id);
    if (concert) this.byId.set(id, { value: concert, loadedAt: Date.now() });
    return concert;
  }

  async insert(concert: NewConcert): Promise<Concert | null> {
    this.everything = undefined;
    return this.inner.insert(concert);
  }

  async update(id: string, change: ConcertChange) {
    this.forget(id);
    return this.inner.update(id, change);
  }

  private apply(message: RealtimeMessage): void {
    if (message.type === 'concert-update') {
      const entry = this.byId.get(message.concertId);
      if (entry) entry.value = applyConcertUpdate(entry.value, message);
      if (this.everything) {
        this.everything.value = this.everything.value.map((c) => applyConcertUpdate(c, message));
      }
    } else if (message.event === 'concert-created' || message.event === 'concert-updated') {
      this.forget(message.concertId);
    }
  }

  private forget(id: string): void {
    this.byId.delete(id);
    this.everything = undefined;
  }

  private fresh(entry: Entry<unknown>): boolean {
    return Date.now() - entry.loadedAt < this.maxAgeMs;
  }
}

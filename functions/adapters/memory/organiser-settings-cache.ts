import type { Concert } from '../../core/model';
import type { RealtimeMessage } from '../../core/realtime';
import type { ConcertRepository } from '../../ports/concert.repository.port';
import type { EventBus } from '../../ports/event-bus.port';
import { CONCERT_CACHE_MAX_AGE_MS } from './cached-concert-repository';

/** The admin notices that say an organiser changed a concert (its settings, on-sale time, status or tiers). */
export const ORGANISER_CHANGE_EVENTS: ReadonlySet<string> = new Set([
  'concert-created',
  'concert-updated',
  'concert-cancelled',
]);

interface Entry {
  concert: Concert | null;
  /** Epoch ms after which the entry is not served (the load's start + max age). */
  until: number;
}

/**
 * Concert reads for checks that depend only on what an organiser sets (the waiting room's settings, the
 * on-sale time), never on availability: the reservation gate of the waiting room asks on every hold.
 * The concert read cache drops a concert on every hold it commits (availability changed), so with many
 * concerts on sale nearly every hold read its concert again just to learn whether it has a waiting room
 * (issue 19's bench: 420 concert reads for 279 holds, 38 % of the shim's busy time). Entries here are
 * kept through holds; they go when this instance commits an organiser change to the concert
 * (`invalidate`, called before the answer goes out: read-your-writes), when another replica's organiser
 * change is heard on the bus (its `concert-updated`/`-created`/`-cancelled` admin notice, `listen`: a
 * waiting room turned on elsewhere gates this replica within the bus's delay, not 2 s; found by an
 * outside tester), and are never served past `maxAgeMs` (2 s) after their load started (a lost message).
 * Concurrent misses share one load; a load that an invalidation overtook answers its callers but is not
 * kept. A failed load is not kept either (its callers get its error).
 */
export class OrganiserSettingsCache {
  private readonly byId = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Concert | null>>();
  /** Per concert, grows with each invalidation: a load started before one is not kept. */
  private readonly generations = new Map<string, number>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: Pick<ConcertRepository, 'get'>,
    private readonly maxAgeMs = CONCERT_CACHE_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
    /** Entries kept at most (unknown ids are cached as null too, so a stream of made-up ids is bounded). */
    private readonly maxEntries = 10_000,
  ) {}

  /** The concert as its organiser last set it (availability may be up to `maxAgeMs` old); null: none. */
  get(concertId: string): Promise<Concert | null> {
    const entry = this.byId.get(concertId);
    if (entry && this.now() < entry.until) {
      this.hits++;
      return Promise.resolve(entry.concert);
    }
    const inFlight = this.loading.get(concertId);
    if (inFlight) return inFlight;
    this.misses++;
    const startedAt = this.now();
    const generation = this.generations.get(concertId) ?? 0;
    const load = this.inner.get(concertId).then(
      (concert) => {
        this.loading.delete(concertId);
        if ((this.generations.get(concertId) ?? 0) === generation) {
          if (this.byId.size >= this.maxEntries) this.sweep();
          this.byId.set(concertId, { concert, until: startedAt + this.maxAgeMs });
        }
        return concert;
      },
      (error: unknown) => {
        this.loading.delete(concertId);
        throw error;
      },
    );
    this.loading.set(concertId, load);
    return load;
  }

  /** Drops expired entries, and everything when that is not enough. */
  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.byId) if (entry.until <= now) this.byId.delete(id);
    if (this.byId.size >= this.maxEntries) this.byId.clear();
  }

  private unsubscribe: (() => Promise<void>) | undefined;

  /** Forgets a concert when any replica announces an organiser's change to it (see the class comment). */
  async listen(bus: EventBus): Promise<void> {
    this.unsubscribe = await bus.subscribe((message: RealtimeMessage) => {
      if (message.type === 'admin-notification' && ORGANISER_CHANGE_EVENTS.has(message.event)) {
        this.invalidate(message.concertId);
      }
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }

  /** Forgets a concert: called synchronously once this instance committed an organiser change to it. */
  invalidate(concertId: string): void {
    this.byId.delete(concertId);
    this.loading.delete(concertId);
    this.generations.set(concertId, (this.generations.get(concertId) ?? 0) + 1);
  }
}

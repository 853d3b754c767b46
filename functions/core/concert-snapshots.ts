import type { ConcertRepository } from '../ports/concert.repository.port';
import { notFound } from './errors';
import { type ConcertUpdateMessage, concertUpdate } from './realtime';

export interface ConcertSnapshotOptions {
  /** How long (ms) a snapshot read from the database is served before the next join reads again. */
  maxAgeMs: number;
  /** Most concerts kept (the oldest read is dropped first). */
  maxEntries: number;
  /** Milliseconds now (tests pass their own clock). */
  now?: () => number;
}

/**
 * The `concert-update` snapshot a joining watcher gets, without a database read per join: concurrent
 * joins of one concert share one read (single flight), and its answer (found or not) is served for
 * `maxAgeMs`. Newer updates heard on the bus (`offer`) replace it at once, so a joiner is never sent an
 * older version than the replica has already pushed. A lost update is healed within `maxAgeMs` for the
 * next joiner, and by the next update for everyone (invariant 4).
 */
export class ConcertSnapshots {
  private readonly entries = new Map<
    string,
    { update: ConcertUpdateMessage | null; readAt: number; offeredAt?: number }
  >();
  private readonly reads = new Map<string, Promise<ConcertUpdateMessage | null>>();
  /** Per concert, how often it was invalidated: a read that overlapped an invalidation is answered, not kept. */
  private readonly invalidated = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly concerts: ConcertRepository,
    private readonly options: ConcertSnapshotOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The concert's current snapshot.
   * @throws TicketingError NOT_FOUND when there is no such concert
   */
  async get(concertId: string): Promise<ConcertUpdateMessage> {
    const entry = this.entries.get(concertId);
    const update =
      entry && this.now() - entry.readAt < this.options.maxAgeMs ? entry.update : await this.read(concertId);
    if (!update) throw notFound('Concert');
    return update;
  }

  /**
   * Forgets a concert's snapshot (this process committed a change to it): the next join reads the database,
   * even if the published update never comes back. A read already running is not kept (it may predate the change).
   */
  invalidate(concertId: string): void {
    this.entries.delete(concertId);
    this.reads.delete(concertId);
    this.invalidated.set(concertId, (this.invalidated.get(concertId) ?? 0) + 1);
    if (this.invalidated.size > this.options.maxEntries) this.invalidated.clear();
  }

  /** An update heard on the bus: kept when newer than the snapshot held (versions only grow). */
  offer(update: ConcertUpdateMessage): void {
    const entry = this.entries.get(update.concertId);
    if (entry?.update && update.version > entry.update.version) {
      entry.update = update;
      entry.offeredAt = this.now();
    }
  }

  private read(concertId: string): Promise<ConcertUpdateMessage | null> {
    let read = this.reads.get(concertId);
    if (!read) {
      const startedAt = this.now();
      const generation = this.invalidated.get(concertId) ?? 0;
      const started: Promise<ConcertUpdateMessage | null> = this.concerts
        .get(concertId)
        .then((concert) => {
          const update = concert ? concertUpdate(concert) : null;
          if ((this.invalidated.get(concertId) ?? 0) !== generation) return update;
          const entry = this.entries.get(concertId);
          const held = entry?.update;
          // An update offered while the read ran may be newer than what the read saw. One offered before
          // it is not kept over the database: a bogus version heard on the bus heals within maxAgeMs.
          const offeredDuringRead = (entry?.offeredAt ?? Number.NEGATIVE_INFINITY) >= startedAt;
          const newest = held && update && offeredDuringRead && held.version > update.version ? held : update;
          this.entries.delete(concertId);
          this.entries.set(concertId, { update: newest, readAt: this.now() });
          if (this.entries.size > this.options.maxEntries) {
            const oldest = this.entries.keys().next().value;
            if (oldest !== undefined) this.entries.delete(oldest);
          }
          return newest;
        })
        .finally(() => {
          if (this.reads.get(concertId) === started) this.reads.delete(concertId);
        });
      read = started;
      this.reads.set(concertId, read);
    }
    return read;
  }
}

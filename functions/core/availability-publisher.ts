import type { ConcertRepository, TimedConcertReads } from '../ports/concert.repository.port';
import { type EventBus, type EventTrace, MAX_TRACED_REQUESTS } from '../ports/event-bus.port';
import type { RealtimeEvents, TierClaim } from '../ports/realtime-events.port';
import { KeyedThrottle } from './keyed-throttle';
import {
  type AdminNotification,
  adminNotification,
  type ConcertUpdateMessage,
  concertUpdate,
  type RealtimeMessage,
  type ReservationsSummary,
} from './realtime';

/** What a coalescing window gathered for one concert. */
interface Changes {
  /** The requests whose changes the next snapshot reports. */
  requestIds: string[];
  /** The claims the statements answered. */
  claims: TierClaim[];
  /** A change came without claims (or too many came): the next snapshot is read. */
  read: boolean;
}

/** The last snapshot of a concert this publisher read or built, and what it stays valid for. */
interface Known {
  update: ConcertUpdateMessage;
  /** Per tier, the version `update` counts. */
  tierVersions: Map<string, number>;
  /**
   * Epoch ms before which no hold `update` counts can run out: until then a tier's `available` moves only by
   * claims (overdue holds are added back by readers, so a hold running out changes what a read answers).
   */
  validUntil: number;
}

/** Claims kept per window; beyond it the window reads (a burst that large is cheaper to read once). */
const MAX_CLAIMS_PER_WINDOW = 10_000;
/**
 * Ms before a counted hold runs out at which claims stop being trusted: the database's clock decides when
 * a hold is overdue, and it may run ahead of this process's.
 */
const CLOCK_MARGIN_MS = 1_000;
/** `new-reservation` notices sent one by one per admin window; later holds in it are counted. */
const ADMIN_NOTICES_PER_WINDOW = 3;
/** Concerts whose last snapshot is kept. */
const MAX_KNOWN = 10_000;

export interface PublisherOptions {
  /**
   * 0: publish each change before the request ends (Lambda, whose container freezes after it).
   * >0: at most one snapshot per concert per interval, read once for a whole burst of sales.
   */
  coalesceMs: number;
  onError: (error: unknown, message: string) => void;
  /** The request the caller runs for, carried in the published message's trace. */
  currentRequestId?: () => string | undefined;
  /** Told of every message that went out (for a debug log line). */
  onPublished?: (message: RealtimeMessage, trace: EventTrace) => void;
  /**
   * Ms of the admin feed's `reservations` window (default: 1 000 when `coalesceMs` > 0, else 0). The first
   * `new-reservation`s of a window (3) go out at once, one by one; the ones after them are counted into one
   * `reservations` message at its end. 0: every hold is its own notice (Lambda, which freezes).
   */
  adminWindowMs?: number;
  /**
   * Told synchronously of every committed change, before the request that made it answers: the local read
   * cache drops its copy here, so this instance reads its own writes whatever `coalesceMs` is.
   */
  onChanged?: (concertId: string) => void;
}

/**
 * Turns "concert X changed" into a versioned snapshot on the bus. Publishing never fails or blocks a
 * sale: errors are counted and reported, and watchers heal on the next update or by re-joining.
 */
export class AvailabilityPublisher implements RealtimeEvents {
  failures = 0;
  published = 0;
  /** Snapshots read from the database / built from the statements' claims alone. */
  reads = 0;
  builtFromClaims = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** Per concert, what the next snapshot reports. */
  private readonly throttle: KeyedThrottle<Changes> | undefined;
  private readonly known = new Map<string, Known>();
  private readonly adminWindowMs: number;
  /** The admin feed's open window: holds counted per concert since `from` (epoch ms). */
  private adminWindow:
    | {
        from: number;
        /** `new-reservation`s sent one by one in this window. */
        oneByOne: number;
        holds: Map<string, number>;
        requestIds: string[];
        timer: NodeJS.Timeout;
      }
    | undefined;

  /**
   * `concerts` should also answer timed reads (`getTimed`): only then are snapshots built from claims;
   * otherwise every snapshot is read.
   */
  constructor(
    private readonly concerts: ConcertRepository & Partial<TimedConcertReads>,
    private readonly bus: EventBus,
    private readonly options: PublisherOptions,
  ) {
    this.adminWindowMs = options.adminWindowMs ?? (options.coalesceMs > 0 ? 1_000 : 0);
    if (options.coalesceMs > 0) {
      this.throttle = new KeyedThrottle<Changes>(
        options.coalesceMs,
        (concertId, changes) => this.track(this.publishSnapshot(concertId, changes)),
        (older, newer) => {
          const claims = older.read || newer.read ? [] : [...older.claims, ...newer.claims];
          return {
            requestIds:
              older.requestIds.length < MAX_TRACED_REQUESTS
                ? [...older.requestIds, ...newer.requestIds]
                : older.requestIds,
            claims: claims.length <= MAX_CLAIMS_PER_WINDOW ? claims : [],
            read: older.read || newer.read || claims.length > MAX_CLAIMS_PER_WINDOW,
          };
        },
      );
    }
  }

  /**
   * The next snapshot is built from `claims` when they account for every version since the last snapshot
   * this publisher read or built (no other change slipped in: no gap in any tier's versions) and no hold
   * it counts can have run out since; otherwise it is read. Either way it equals a fresh read as of the
   * newest claim.
   */
  concertChanged(concertId: string, claims?: TierClaim[]): void {
    this.options.onChanged?.(concertId);
    const changes: Changes = { requestIds: this.causes(), claims: claims ?? [], read: !claims?.length };
    if (changes.read) this.known.delete(concertId);
    if (this.throttle) this.throttle.push(concertId, changes);
    else this.track(this.publishSnapshot(concertId, changes));
  }

  /**
   * Every notice goes out as it comes, but `new-reservation`s during a sale: see `adminWindowMs`. Nothing
   * is lost: the notices plus the `reservations` counts add up to every hold (close() sends what is counted).
   */
  notifyAdmins(notice: Omit<AdminNotification, 'type' | 'at'>): void {
    if (notice.event === 'new-reservation' && this.adminWindowMs > 0) {
      const window = this.adminWindow;
      if (window && window.oneByOne >= ADMIN_NOTICES_PER_WINDOW) {
        window.holds.set(notice.concertId, (window.holds.get(notice.concertId) ?? 0) + 1);
        if (window.requestIds.length < MAX_TRACED_REQUESTS) window.requestIds.push(...this.causes());
        return;
      }
      if (window) window.oneByOne++;
      else this.openAdminWindow();
    }
    this.track(this.send(adminNotification(notice), this.causes()));
  }

  private openAdminWindow(): void {
    const timer = setTimeout(() => this.closeAdminWindow(true), this.adminWindowMs);
    timer.unref?.();
    this.adminWindow = { from: Date.now(), oneByOne: 1, holds: new Map(), requestIds: [], timer };
  }

  /** Sends the window's counts, if any; while holds keep coming (`reopen`), the next window starts. */
  private closeAdminWindow(reopen: boolean): void {
    const window = this.adminWindow;
    if (!window) return;
    clearTimeout(window.timer);
    this.adminWindow = undefined;
    if (window.holds.size === 0) return;
    const summary: ReservationsSummary = {
      type: 'reservations',
      from: new Date(window.from).toISOString(),
      to: new Date().toISOString(),
      concerts: [...window.holds].map(([concertId, holds]) => ({ concertId, holds })),
    };
    this.track(this.send(summary, window.requestIds));
    if (reopen) this.openAdminWindow();
  }

  /** Resolves when what was handed over so far has gone out (or failed). Lambda handlers await it. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.closeAdminWindow(false);
    this.throttle?.close();
  }

  private causes(): string[] {
    const requestId = this.options.currentRequestId?.();
    return requestId ? [requestId] : [];
  }

  private async publishSnapshot(concertId: string, changes: Changes): Promise<void> {
    const built = changes.read ? undefined : this.fromClaims(concertId, changes.claims);
    if (built) {
      this.builtFromClaims++;
      await this.send(built, changes.requestIds);
      return;
    }
    let update: ConcertUpdateMessage | undefined;
    try {
      this.reads++;
      if (this.concerts.getTimed) {
        const timed = await this.concerts.getTimed(concertId);
        if (timed) {
          update = concertUpdate(timed.concert);
          this.remember(concertId, {
            update,
            tierVersions: new Map(timed.concert.tiers.map((tier) => [tier.id, tier.version])),
            validUntil: timed.nextExpiryAt ?? Number.POSITIVE_INFINITY,
          });
        }
      } else {
        const concert = await this.concerts.get(concertId);
        if (concert) update = concertUpdate(concert);
      }
    } catch (error) {
      this.failed(error, 'could not read availability to publish');
      return;
    }
    if (update) await this.send(update, changes.requestIds);
  }

  /**
   * The snapshot after `claims`, from the last one known, or undefined when it cannot be told without a
   * read: nothing known, a hold it counts may have run out, a tier it does not know, or a gap in a tier's
   * versions (a change this publisher was not told of: another process, a release of overdue holds).
   */
  private fromClaims(concertId: string, claims: TierClaim[]): ConcertUpdateMessage | undefined {
    const base = this.known.get(concertId);
    if (!base || claims.length === 0 || Date.now() + CLOCK_MARGIN_MS >= base.validUntil) return undefined;
    const byTier = new Map<string, TierClaim[]>();
    for (const claim of claims) byTier.set(claim.tierId, [...(byTier.get(claim.tierId) ?? []), claim]);
    const taken = new Map<string, number>();
    const tierVersions = new Map(base.tierVersions);
    let steps = 0;
    let validUntil = base.validUntil;
    for (const [tierId, list] of byTier) {
      const from = base.tierVersions.get(tierId);
      if (from === undefined) return undefined;
      const fresh = list
        .filter((claim) => claim.versionAfter > from)
        .sort((a, b) => a.versionAfter - b.versionAfter);
      for (const [i, claim] of fresh.entries()) {
        if (claim.versionAfter !== from + i + 1) return undefined;
        validUntil = Math.min(validUntil, Date.parse(claim.expiresAt));
      }
      const last = fresh.at(-1);
      if (!last) continue;
      taken.set(
        tierId,
        fresh.reduce((sum, claim) => sum + claim.quantity, 0),
      );
      tierVersions.set(tierId, last.versionAfter);
      steps += fresh.length;
    }
    if (steps === 0 || Date.now() + CLOCK_MARGIN_MS >= validUntil) return undefined;
    const tiers = base.update.tiers.map((tier) => ({
      ...tier,
      available: tier.available - (taken.get(tier.id) ?? 0),
    }));
    if (tiers.some((tier) => tier.available < 0)) return undefined;
    const update: ConcertUpdateMessage = {
      ...base.update,
      availableTickets: tiers.reduce((sum, tier) => sum + tier.available, 0),
      totalBooked: tiers.reduce((sum, tier) => sum + tier.capacity - tier.available, 0),
      tiers,
      version: base.update.version + steps,
    };
    this.remember(concertId, { update, tierVersions, validUntil });
    return update;
  }

  /** Keeps `next` unless a newer snapshot of the concert is known already (versions only grow). */
  private remember(concertId: string, next: Known): void {
    const held = this.known.get(concertId);
    if (held && held.update.version >= next.update.version) return;
    if (!held && this.known.size >= MAX_KNOWN) this.known.clear();
    this.known.set(concertId, next);
  }

  private async send(message: RealtimeMessage, requestIds: string[]): Promise<void> {
    const trace: EventTrace = { requestIds: [...new Set(requestIds)], publishedAt: Date.now() };
    try {
      await this.bus.publish(message, trace);
      this.published++;
      this.options.onPublished?.(message, trace);
    } catch (error) {
      this.failed(error, `could not publish ${message.type}`);
    }
  }

  private failed(error: unknown, message: string): void {
    this.failures++;
    this.options.onError(error, message);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}

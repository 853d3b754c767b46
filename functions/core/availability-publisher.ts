import type { ConcertRepository } from '../ports/concert.repository.port';
import { type EventBus, type EventTrace, MAX_TRACED_REQUESTS } from '../ports/event-bus.port';
import type { RealtimeEvents } from '../ports/realtime-events.port';
import { KeyedThrottle } from './keyed-throttle';
import { type AdminNotification, adminNotification, concertUpdate, type RealtimeMessage } from './realtime';

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
  private readonly inFlight = new Set<Promise<void>>();
  /** Per concert, the requests whose changes the next snapshot reports. */
  private readonly throttle: KeyedThrottle<string[]> | undefined;

  constructor(
    private readonly concerts: ConcertRepository,
    private readonly bus: EventBus,
    private readonly options: PublisherOptions,
  ) {
    if (options.coalesceMs > 0) {
      this.throttle = new KeyedThrottle<string[]>(
        options.coalesceMs,
        (concertId, requestIds) => this.track(this.publishSnapshot(concertId, requestIds)),
        (older, newer) => (older.length < MAX_TRACED_REQUESTS ? [...older, ...newer] : older),
      );
    }
  }

  concertChanged(concertId: string): void {
    this.options.onChanged?.(concertId);
    const cause = this.causes();
    if (this.throttle) this.throttle.push(concertId, cause);
    else this.track(this.publishSnapshot(concertId, cause));
  }

  notifyAdmins(notice: Omit<AdminNotification, 'type' | 'at'>): void {
    this.track(this.send(adminNotification(notice), this.causes()));
  }

  /** Resolves when what was handed over so far has gone out (or failed). Lambda handlers await it. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.throttle?.close();
  }

  private causes(): string[] {
    const requestId = this.options.currentRequestId?.();
    return requestId ? [requestId] : [];
  }

  private async publishSnapshot(concertId: string, requestIds: string[]): Promise<void> {
    let concert: Awaited<ReturnType<ConcertRepository['get']>>;
    try {
      concert = await this.concerts.get(concertId);
    } catch (error) {
      this.failed(error, 'could not read availability to publish');
      return;
    }
    if (concert) await this.send(concertUpdate(concert), requestIds);
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

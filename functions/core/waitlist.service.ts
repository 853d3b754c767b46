import type { RealtimeEvents } from '../ports/realtime-events.port';
import type {
  PendingOffer,
  WaitlistEntry,
  WaitlistRepository,
  WaitlistTierStats,
} from '../ports/waitlist.repository.port';
import { waitlistOfferEmail } from './emails';
import { notFound, TicketingError } from './errors';
import type { Principal } from './model';

export interface WaitlistSettings {
  /** TICKETS_PER_USER_LIMIT: most tickets (held + confirmed) per fan and concert; 0 = no limit. */
  perUserLimit: number;
  /** WAITLIST_OFFER_SECONDS (s): how long a hold made for a waiting fan lasts. */
  offerSeconds: number;
}

export interface WaitlistDeps {
  waitlist: WaitlistRepository;
  settings: WaitlistSettings;
  events: RealtimeEvents;
  /** Told after a change that may have made offers (a fan leaving from the head of a list). */
  offers: Pick<WaitlistOfferAnnouncer, 'poke'>;
  /**
   * The waiting room's gate (waiting-room.service.ts `requireAdmission`, as for reservations): throws
   * ADMISSION_REQUIRED unless the fan may buy for the concert with this token. Absent: no gate.
   */
  admission?: (principal: Principal, concertId: string, admissionToken: string | undefined) => Promise<void>;
}

/**
 * Joins the waiting list of a sold-out tier for `quantity` tickets; joining again answers the same live
 * entry (`created: false`), whatever quantity is sent.
 * Errors: VALIDATION_FAILED (not a positive integer), NOT_FOUND (concert or tier), CONCERT_NOT_ON_SALE,
 * LIMIT_EXCEEDED (`scope` order: above the tier's maxPerOrder or its capacity, `max` the lesser: such a
 * quantity could never be offered; `scope` user: with the tickets the fan holds or bought for the concert,
 * above TICKETS_PER_USER_LIMIT), TIER_AVAILABLE (nobody waits and at least one ticket can be reserved now,
 * even fewer than asked: a fan may not close a tier's last tickets to the open market by asking for more),
 * UNAUTHORIZED (the token's account is gone), ADMISSION_REQUIRED (403: a waiting-room concert and no
 * valid admission of this fan in `admissionToken`: an offer is a sale, and tickets that come back go
 * to the queue's admitted fans, never to one who skipped the queue; nothing is written).
 */
export async function joinWaitlist(
  deps: WaitlistDeps,
  principal: Principal,
  input: { concertId: string; tierId: string; quantity: number; admissionToken?: string | undefined },
): Promise<{ entry: WaitlistEntry; created: boolean }> {
  if (!Number.isSafeInteger(input.quantity) || input.quantity < 1) {
    throw new TicketingError('VALIDATION_FAILED', 'The quantity must be a positive integer');
  }
  await deps.admission?.(principal, input.concertId, input.admissionToken);
  const outcome = await deps.waitlist.join({
    userId: principal.userId,
    concertId: input.concertId,
    tierId: input.tierId,
    quantity: input.quantity,
    perUserLimit: deps.settings.perUserLimit,
    offerSeconds: deps.settings.offerSeconds,
  });
  switch (outcome.kind) {
    case 'created':
      // The tier now reads 0 available to the open market (its free tickets are owed to the list).
      deps.events.concertChanged(input.concertId);
      return { entry: outcome.entry, created: true };
    case 'existing':
      return { entry: outcome.entry, created: false };
    case 'not-found':
      throw notFound('Concert or tier');
    case 'not-on-sale':
      throw new TicketingError('CONCERT_NOT_ON_SALE', 'This concert is not on sale');
    case 'user-gone':
      throw new TicketingError('UNAUTHORIZED', 'The account of this token no longer exists: sign in again');
    case 'order-limit':
      throw new TicketingError(
        'LIMIT_EXCEEDED',
        `At most ${outcome.maxPerOrder} tickets can be offered from this tier`,
        {
          scope: 'order',
          max: outcome.maxPerOrder,
        },
      );
    case 'user-limit':
      throw new TicketingError(
        'LIMIT_EXCEEDED',
        `At most ${outcome.limit} tickets per person for this concert`,
        { scope: 'user', max: outcome.limit, current: outcome.current },
      );
    case 'tier-available':
      throw new TicketingError(
        'TIER_AVAILABLE',
        `${outcome.available} tickets of this tier can be reserved now: no need to wait`,
        { available: outcome.available },
      );
  }
}

/**
 * Leaves the fan's live entry for the tier. An open offer is declined: its hold is cancelled and its
 * tickets go to the next fan on the list, in the same transaction.
 * Errors: NOT_FOUND (no live entry of this fan for that tier).
 */
export async function leaveWaitlist(
  deps: WaitlistDeps,
  principal: Principal,
  concertId: string,
  tierId: string,
): Promise<WaitlistEntry> {
  const entry = await deps.waitlist.leave(principal.userId, concertId, tierId);
  if (!entry) throw notFound('Waiting-list entry');
  deps.events.concertChanged(concertId);
  deps.offers.poke();
  return entry;
}

/** The fan's entries, newest first, with their status now and, once offered, the hold made for them. */
export const listMyWaitlist = (deps: Pick<WaitlistDeps, 'waitlist'>, principal: Principal) =>
  deps.waitlist.listByUser(principal.userId);

/**
 * Per tier: list length, open offers, offers made, claimed, expired, left (the organiser's console).
 * Errors: NOT_FOUND (no such concert).
 */
export async function waitlistStats(
  deps: Pick<WaitlistDeps, 'waitlist'>,
  concertId: string,
): Promise<WaitlistTierStats[]> {
  const stats = await deps.waitlist.stats(concertId);
  if (!stats) throw notFound('Concert');
  return stats;
}

/**
 * What an announced offer becomes outside the database: the fan's live message, the hold's timer. A
 * returned promise is waited for (a run is settled once its messages are published); a failure is reported
 * and never stops the other offers.
 */
export interface OfferListener {
  offerMade(offer: PendingOffer): void | Promise<void>;
}

/** How a {@link WaitlistOfferAnnouncer} runs besides its repository, listener and error report. */
export interface AnnouncerOptions {
  /** Offers per transaction (default 100). */
  batchSize?: number;
  /**
   * Called (and waited for) after a run queued offer e-mails: delivers the outbox now, so a 10-minute offer
   * is not mailed at the next scheduled job (deliverOutbox in jobs.service: claims make concurrent
   * deliveries safe). A failure is reported to `onError`; the e-mails stay queued for the next delivery.
   */
  mailsQueued?: () => Promise<unknown>;
}

/**
 * Announces the offers the database made (inside the transactions that released tickets) once each: their
 * e-mails go to the outbox with the dedupe key `waitlist-offer:<entry>` in the transaction that marks them
 * announced, then each is told to `listener` (the live `waitlist-offer` message: at most once), and the
 * outbox is delivered (`mailsQueued`). `poke()` after anything that may have released tickets, and
 * periodically in long-running processes (offers another process made and could not announce before it
 * died); runs never overlap, and a poke during a run runs again.
 */
export class WaitlistOfferAnnouncer {
  private running: Promise<void> | undefined;
  private again = false;
  private readonly batchSize: number;

  constructor(
    private readonly waitlist: Pick<WaitlistRepository, 'announceOffers'>,
    private readonly listener: OfferListener,
    private readonly onError: (error: unknown) => void,
    private readonly options: AnnouncerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
  }

  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.announceAll()
      .then(() => undefined, this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Resolves when no run is in progress (a Lambda awaits this before its container freezes). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Announces every pending offer; answers how many. */
  async announceAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const offers = await this.waitlist.announceOffers(this.batchSize, (batch) =>
        batch.map((offer) => ({
          ...waitlistOfferEmail(offer),
          dedupeKey: `waitlist-offer:${offer.entryId}`,
        })),
      );
      const told = await Promise.allSettled(offers.map(async (offer) => this.listener.offerMade(offer)));
      for (const outcome of told) if (outcome.status === 'rejected') this.onError(outcome.reason);
      total += offers.length;
      if (offers.length < this.batchSize) break;
    }
    if (total > 0 && this.options.mailsQueued) {
      try {
        await this.options.mailsQueued();
      } catch (error) {
        this.onError(error);
      }
    }
    return total;
  }
}

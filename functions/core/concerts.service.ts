import type { ConcertChange, ConcertRepository, NewConcert } from '../ports/concert.repository.port';
import type { RealtimeEvents } from '../ports/realtime-events.port';
import { cancellationEmails } from './concert-cancellation';
import { CONCERT_LIMITS } from './concert-limits';
import { notFound, TicketingError } from './errors';
import type { Concert } from './model';

export async function listConcerts(concerts: ConcertRepository): Promise<Concert[]> {
  return concerts.list();
}

export async function getConcert(concerts: ConcertRepository, id: string): Promise<Concert> {
  const concert = await concerts.get(id);
  if (!concert) throw notFound('Concert');
  return concert;
}

export interface ConcertAdminDeps {
  concerts: ConcertRepository;
  events: RealtimeEvents;
}

/**
 * Creates a concert. Errors: VALIDATION_FAILED (400) for a duplicate tier name, or an `onSaleAt` after
 * `startsAt` (details `{field: 'onSaleAt', onSaleAt, startsAt}`: a sale cannot open after the show began).
 */
export async function createConcert(deps: ConcertAdminDeps, input: NewConcert): Promise<Concert> {
  requireSaleBeforeShow(input.onSaleAt, input.startsAt);
  const concert = await deps.concerts.insert(input);
  if (!concert) throw duplicateTierName();
  deps.events.notifyAdmins({ event: 'concert-created', concertId: concert.id });
  return concert;
}

/**
 * Applies an admin's change to a concert, all or nothing: any refusal leaves every row as it was.
 * Cancelling (status `cancelled`) is final and ends every sale in the same transaction: live holds are
 * released, confirmed reservations cancelled (their tickets void, to be refunded), and each holder gets
 * one e-mail through the outbox (dedupe key `concert-cancelled:<concert>:<user>`, so a second PATCH
 * mails nobody again); watchers get a `concert-update` and admins a `concert-updated` notice.
 * Errors: NOT_FOUND (404); VALIDATION_FAILED (400) for a tier of another concert, a duplicate tier name,
 * an `onSaleAt` after `startsAt` (either changed; details `{field: 'onSaleAt'}`), or more than CONCERT_LIMITS.maxTiersPerConcert tiers in total; CAPACITY_BELOW_BOOKED (409);
 * CONCERT_NOT_ON_SALE (409) for a status other than `cancelled` on a cancelled concert.
 */
export async function updateConcert(
  deps: ConcertAdminDeps,
  id: string,
  change: ConcertChange,
): Promise<Concert> {
  if ((change.onSaleAt !== undefined && change.onSaleAt !== null) || change.startsAt !== undefined) {
    // The rule holds for the concert as it will be: either side may change alone.
    const stored = await deps.concerts.get(id);
    if (!stored) throw notFound('Concert');
    requireSaleBeforeShow(
      change.onSaleAt === undefined ? stored.onSaleAt : (change.onSaleAt ?? undefined),
      change.startsAt ?? stored.startsAt,
    );
  }
  const outcome = await deps.concerts.update(id, change, {
    maxTiersPerConcert: CONCERT_LIMITS.maxTiersPerConcert,
    cancellationEmails,
  });
  switch (outcome.kind) {
    case 'updated':
      deps.events.concertChanged(id);
      deps.events.notifyAdmins({ event: 'concert-updated', concertId: id });
      if (outcome.cancelled) deps.events.notifyAdmins({ event: 'concert-cancelled', concertId: id });
      return outcome.concert;
    case 'too-many-tiers':
      throw new TicketingError('VALIDATION_FAILED', `A concert has at most ${outcome.max} tiers in total`, {
        field: 'tiers',
        max: outcome.max,
        total: outcome.total,
      });
    case 'cancelled-is-final':
      throw new TicketingError(
        'CONCERT_NOT_ON_SALE',
        'A cancelled concert stays cancelled: its holders were told and refunded',
        { status: 'cancelled' },
      );
    case 'not-found':
      throw notFound('Concert');
    case 'unknown-tier':
      throw new TicketingError('VALIDATION_FAILED', 'A tier to change does not belong to this concert', {
        tierId: outcome.tierId,
      });
    case 'duplicate-tier-name':
      throw duplicateTierName(outcome.name);
    case 'capacity-below-booked':
      throw new TicketingError(
        'CAPACITY_BELOW_BOOKED',
        'Capacity cannot go below the tickets already held or sold',
        { tierId: outcome.tierId, booked: outcome.booked },
      );
  }
}

/** Throws VALIDATION_FAILED (field `onSaleAt`) when the sale would open after the concert starts. */
function requireSaleBeforeShow(onSaleAt: string | undefined, startsAt: string): void {
  if (onSaleAt === undefined || Date.parse(onSaleAt) <= Date.parse(startsAt)) return;
  throw new TicketingError('VALIDATION_FAILED', 'onSaleAt must not be after the concert starts (startsAt)', {
    field: 'onSaleAt',
    onSaleAt,
    startsAt,
  });
}

function duplicateTierName(name?: string): TicketingError {
  return new TicketingError('VALIDATION_FAILED', 'Tier names must be unique within a concert', { name });
}

import type { ConcertChange, ConcertRepository, NewConcert } from '../ports/concert.repository.port';
import type { RealtimeEvents } from '../ports/realtime-events.port';
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

export async function createConcert(deps: ConcertAdminDeps, input: NewConcert): Promise<Concert> {
  const concert = await deps.concerts.insert(input);
  if (!concert) throw duplicateTierName();
  deps.events.notifyAdmins({ event: 'concert-created', concertId: concert.id });
  return concert;
}

export async function updateConcert(
  deps: ConcertAdminDeps,
  id: string,
  change: ConcertChange,
): Promise<Concert> {
  const outcome = await deps.concerts.update(id, change);
  switch (outcome.kind) {
    case 'updated':
      deps.events.concertChanged(id);
      deps.events.notifyAdmins({ event: 'concert-updated', concertId: id });
      return outcome.concert;
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

function duplicateTierName(name?: string): TicketingError {
  return new TicketingError('VALIDATION_FAILED', 'Tier names must be unique within a concert', { name });
}

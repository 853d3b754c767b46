import type { ConcertRepository } from '../ports/concert.repository.port';
import type { ConnectionRegistry } from '../ports/connection-registry.port';
import type { TokenService } from '../ports/token-service.port';
import { notFound, TicketingError } from './errors';
import { type ConcertUpdateMessage, concertUpdate } from './realtime';

export interface WatcherDeps {
  registry: ConnectionRegistry;
  concerts: ConcertRepository;
  tokens: TokenService;
}

/** `$connect`: an optional token; a token that is present must be valid. */
export async function connectWatcher(
  deps: WatcherDeps,
  connectionId: string,
  token: string | undefined,
): Promise<void> {
  let principal = null;
  if (token) {
    principal = await deps.tokens.verify(token);
    if (!principal) throw new TicketingError('UNAUTHORIZED', 'The token is not valid');
  }
  await deps.registry.register(connectionId, {
    userId: principal?.userId ?? null,
    admin: principal?.role === 'admin',
  });
}

/** `join-concert`: watch it and get its availability at once. */
export async function joinConcert(
  deps: WatcherDeps,
  connectionId: string,
  concertId: string,
): Promise<ConcertUpdateMessage> {
  const concert = await deps.concerts.get(concertId);
  if (!concert) throw notFound('Concert');
  await deps.registry.watch(connectionId, concertId);
  return concertUpdate(concert);
}

export async function leaveConcert(
  deps: WatcherDeps,
  connectionId: string,
  concertId: string,
): Promise<void> {
  await deps.registry.unwatch(connectionId, concertId);
}

export async function joinAdmins(deps: WatcherDeps, connectionId: string): Promise<void> {
  if (!(await deps.registry.isAdmin(connectionId))) {
    throw new TicketingError('FORBIDDEN', 'join-admin needs an admin token (connect with ?token=)');
  }
  await deps.registry.joinAdmins(connectionId);
}

import type { ConnectionRegistry } from '../ports/connection-registry.port';
import type { TokenService } from '../ports/token-service.port';
import type { ConcertSnapshots } from './concert-snapshots';
import { TicketingError } from './errors';
import type { ConcertUpdateMessage } from './realtime';

/** Most concerts one connection (raw WebSocket or Socket.IO) watches at once. */
export const MAX_CONCERTS_PER_CONNECTION = 50;

export interface WatcherDeps {
  registry: ConnectionRegistry;
  /** Where a joiner's snapshot comes from: no database read per join (see ConcertSnapshots). */
  snapshots: Pick<ConcertSnapshots, 'get'>;
  tokens: TokenService;
}

/**
 * `$connect`: an optional token; a token that is present must be valid.
 * @throws TicketingError UNAUTHORIZED for a token that does not verify
 */
export async function connectWatcher(
  deps: Pick<WatcherDeps, 'registry' | 'tokens'>,
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

/**
 * `join-concert`: watch it and get its availability at once. The watch comes first, so no update
 * published after the snapshot was taken can slip past the joiner.
 * @throws TicketingError NOT_FOUND (no such concert), LIMIT_EXCEEDED (already watching
 *   MAX_CONCERTS_PER_CONNECTION others), SERVICE_UNAVAILABLE (the registry no longer knows this
 *   connection: it closed, or the store was lost; the client reconnects and joins again)
 */
export async function joinConcert(
  deps: WatcherDeps,
  connectionId: string,
  concertId: string,
): Promise<ConcertUpdateMessage> {
  await deps.snapshots.get(concertId); // NOT_FOUND before anything is watched
  const outcome = await deps.registry.watch(connectionId, concertId, MAX_CONCERTS_PER_CONNECTION);
  if (outcome === 'full') {
    throw new TicketingError(
      'LIMIT_EXCEEDED',
      `One connection watches at most ${MAX_CONCERTS_PER_CONNECTION} concerts: leave one first`,
    );
  }
  if (outcome === 'gone') {
    throw new TicketingError(
      'SERVICE_UNAVAILABLE',
      'This connection is no longer registered: reconnect and join again',
    );
  }
  // Again after the watch (from memory): an update heard in between is in the snapshot now.
  return deps.snapshots.get(concertId);
}

export async function leaveConcert(
  deps: Pick<WatcherDeps, 'registry'>,
  connectionId: string,
  concertId: string,
): Promise<void> {
  await deps.registry.unwatch(connectionId, concertId);
}

/**
 * `join-admin`: only a connection registered with an admin token.
 * @throws TicketingError FORBIDDEN otherwise
 */
export async function joinAdmins(deps: Pick<WatcherDeps, 'registry'>, connectionId: string): Promise<void> {
  if (!(await deps.registry.isAdmin(connectionId))) {
    throw new TicketingError('FORBIDDEN', 'join-admin needs an admin token (connect with ?token=)');
  }
  await deps.registry.joinAdmins(connectionId);
}

/**
 * Whether an admin feed may go on: its token must still verify as an admin's (not expired, the role not
 * withdrawn). Feeds call this every few seconds and end when it answers false.
 */
export async function adminFeedStillAllowed(
  deps: Pick<WatcherDeps, 'tokens'>,
  token: string | undefined,
): Promise<boolean> {
  if (!token) return false;
  try {
    return (await deps.tokens.verify(token))?.role === 'admin';
  } catch {
    // Verification could not run (the database is away): keep the feed until it can say no.
    return true;
  }
}

import type { ConnectionRegistry } from '../ports/connection-registry.port';
import type { TokenService } from '../ports/token-service.port';
import type { ConcertSnapshots } from './concert-snapshots';
import { TicketingError } from './errors';
import type { Principal } from './model';
import type { ConcertUpdateMessage } from './realtime';

/**
 * Who may watch what, for every live transport (raw `/ws` through its Lambda handlers, Socket.IO in the
 * shim, API Gateway on AWS): each transport keeps its own connections in a ConnectionRegistry (the raw
 * one mirrored to Redis for the AWS relay, Socket.IO's in memory only) and calls these use cases; none of
 * them restates a rule.
 */

/** Most concerts one connection (raw WebSocket or Socket.IO) watches at once. */
export const MAX_CONCERTS_PER_CONNECTION = 50;

/**
 * The one admin rule: a connection may watch the admin feed (and keep watching it) while its token
 * verifies as a principal whose role is `admin`. No principal (no token, or one that does not verify) may not.
 */
export function mayWatchAdmins(principal: Principal | null | undefined): boolean {
  return principal?.role === 'admin';
}

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
    admin: mayWatchAdmins(principal),
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

/** `leave-concert`: stop watching it (nothing happens if it was not watched). */
export async function leaveConcert(
  deps: Pick<WatcherDeps, 'registry'>,
  connectionId: string,
  concertId: string,
): Promise<void> {
  await deps.registry.unwatch(connectionId, concertId);
}

/**
 * `join-admin`, by {@link mayWatchAdmins}: with `token` (Socket.IO, whose handshake verifies none: the
 * token of the handshake or of the event), that token is verified now; without it (raw `/ws`, API
 * Gateway), the principal found at `$connect` decides (`registry.isAdmin`).
 * @throws TicketingError FORBIDDEN when the rule says no; SERVICE_UNAVAILABLE when the token could not
 *   be verified (the database is away: the client tries again)
 */
export async function joinAdmins(
  deps: Pick<WatcherDeps, 'registry' | 'tokens'>,
  connectionId: string,
  token?: string,
): Promise<void> {
  const allowed =
    token === undefined
      ? await deps.registry.isAdmin(connectionId)
      : mayWatchAdmins(await verifyForJoin(deps.tokens, token));
  if (!allowed) {
    throw new TicketingError('FORBIDDEN', 'join-admin needs an admin token');
  }
  await deps.registry.joinAdmins(connectionId);
}

/** The principal of a token sent with a join; a verification that could not run is SERVICE_UNAVAILABLE. */
async function verifyForJoin(tokens: TokenService, token: string): Promise<Principal | null> {
  try {
    return await tokens.verify(token);
  } catch {
    throw new TicketingError('SERVICE_UNAVAILABLE', 'The token could not be checked: try again shortly');
  }
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
    return mayWatchAdmins(await deps.tokens.verify(token));
  } catch {
    // Verification could not run (the database is away): keep the feed until it can say no.
    return true;
  }
}

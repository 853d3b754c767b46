// Pure data (no import): the WebSocket handler validates with it and the stacks make routes of it.

/** The client actions, and only these, are routes; anything else (`toString` too) is `$default`. */
export const CLIENT_ACTIONS = ['join-concert', 'leave-concert', 'join-admin', 'join-queue'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What a concert action's argument says, judged as HTTP judges a path id: a UUID → `{id}` (lower case);
 * any other string → `not-found` (no concert has that id: 404 NOT_FOUND, as `GET /api/concerts/abc`);
 * anything but a string (missing, a number, an object) → `invalid` (VALIDATION_FAILED).
 */
export function concertIdArgument(value: unknown): { id: string } | 'not-found' | 'invalid' {
  if (typeof value !== 'string') return 'invalid';
  return UUID.test(value) ? { id: value.toLowerCase() } : 'not-found';
}

// Pure data (no import): the WebSocket handler validates with it and the stacks make routes of it.

/** The client actions, and only these, are routes; anything else (`toString` too) is `$default`. */
export const CLIENT_ACTIONS = ['join-concert', 'leave-concert', 'join-admin', 'join-queue'] as const;

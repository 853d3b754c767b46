/** Every Redis key and channel the service uses, under one prefix (one per deployment, or per test run). */
export function redisKeys(prefix: string) {
  return {
    updatesChannel: `${prefix}realtime:updates`,
    stream: `${prefix}realtime:stream`,
    relayPosition: `${prefix}relay:position`,
    relayLease: `${prefix}relay:lease`,
    /** Hash `{admin, user}` of one connection; expires unless refreshed. */
    connection: (id: string) => `${prefix}ws:conn:${id}`,
    /** Set of the concert ids one connection watches; expires with the connection. */
    connectionConcerts: (id: string) => `${prefix}ws:conn:${id}:concerts`,
    /** Sorted set of connection ids scored by the time (ms) each entry expires unless refreshed. */
    concertWatchers: (concertId: string) => `${prefix}ws:watchers:${concertId}`,
    /** Sorted set of admin-feed connection ids, scored as `concertWatchers`. */
    admins: `${prefix}ws:admin-feed`,
    /** Waiting room: sorted set of waiting fans by score (draw in [0, 1), then 1 + arrival number). */
    queueWaiting: (concertId: string) => `${prefix}queue:${concertId}:waiting`,
    /** Waiting room: hash fan → admitted at (ms). */
    queueAdmitted: (concertId: string) => `${prefix}queue:${concertId}:admitted`,
    /** Waiting room: the concert's arrival counter (fans joining after the sale opened). */
    queueArrivals: (concertId: string) => `${prefix}queue:${concertId}:arrivals`,
    /** Waiting room: hash `{atMs, carry, ratePerMinute}` of the last admission step. */
    queuePacing: (concertId: string) => `${prefix}queue:${concertId}:pacing`,
    /** Waiting room: a lease (the one admission ticker). */
    queueLease: (name: string) => `${prefix}queue:lease:${name}`,
    /** Waiting room on AWS: hash connection id → `{userId, concertId}` of `join-queue` followers. */
    queueFollowers: `${prefix}queue:followers`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

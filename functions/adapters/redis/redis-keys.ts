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
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** Every Redis key and channel the service uses, under one prefix (one per deployment, or per test run). */
export function redisKeys(prefix: string) {
  return {
    updatesChannel: `${prefix}realtime:updates`,
    stream: `${prefix}realtime:stream`,
    relayPosition: `${prefix}relay:position`,
    relayLease: `${prefix}relay:lease`,
    connection: (id: string) => `${prefix}ws:conn:${id}`,
    connectionConcerts: (id: string) => `${prefix}ws:conn:${id}:concerts`,
    concertWatchers: (concertId: string) => `${prefix}ws:concert:${concertId}`,
    admins: `${prefix}ws:admins`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

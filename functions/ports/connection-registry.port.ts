/**
 * What `watch` did: `watching` (now, or already), `gone` (the registry knows no such connection: it has
 * closed, or the store holding it was lost), `full` (it already watches the most concerts it may).
 */
export type WatchOutcome = 'watching' | 'gone' | 'full';

/** Who a connection is, as `$connect` found it. */
export interface ConnectionInfo {
  userId: string | null;
  admin: boolean;
}

/**
 * Which WebSocket connection watches which concert, and which are admins (API Gateway's model).
 * Every entry expires on its own unless refreshed (`touch`, or a new `watch`), so an id whose
 * `$disconnect` never ran ages out instead of being kept alive by the living.
 */
export interface ConnectionRegistry {
  register(connectionId: string, info: ConnectionInfo): Promise<void>;
  /** Forgets the connection and every watch of it, atomically with respect to `watch`. */
  remove(connectionId: string): Promise<void>;
  isAdmin(connectionId: string): Promise<boolean>;
  /** The signed-in fan of the connection as `$connect` found it; null for an anonymous or unknown one. */
  userOf(connectionId: string): Promise<string | null>;
  /**
   * Adds the connection to the concert's watchers, only while the connection is registered (a join
   * racing its close leaves nothing behind). `maxConcerts` caps how many concerts it watches at once
   * (default: no cap); watching one already watched always succeeds.
   */
  watch(connectionId: string, concertId: string, maxConcerts?: number): Promise<WatchOutcome>;
  unwatch(connectionId: string, concertId: string): Promise<void>;
  joinAdmins(connectionId: string): Promise<void>;
  /** Connections watching the concert whose entries have not expired. */
  watchers(concertId: string): Promise<string[]>;
  /** Admin connections that joined the feed, whose entries have not expired. */
  admins(): Promise<string[]>;
  /**
   * Renews every entry of these live connections for another TTL; returns the ids the registry no
   * longer knows (expired, or lost with the store), which their holder re-registers or tells to re-join.
   */
  touch(connectionIds: string[]): Promise<string[]>;
  /** Drops entries whose connection record is gone (expired or never removed); returns how many. */
  pruneStale(): Promise<number>;
}

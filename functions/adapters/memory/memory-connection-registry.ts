import type { ConnectionInfo, ConnectionRegistry, WatchOutcome } from '../../ports/connection-registry.port';

/** What this process knows of one of its connections: enough to register it again elsewhere. */
export interface ConnectionEntry {
  info: ConnectionInfo;
  concerts: ReadonlySet<string>;
  /** In the admin feed. */
  feed: boolean;
}

/**
 * A process's own watch sets, read synchronously with no store behind them: what a gateway's fan-out reads
 * for every update, so delivering one costs no round trip (to Redis or anywhere).
 */
export interface LocalWatchSets {
  /** Ids of this process's connections watching the concert (a live view: copy it before awaiting). */
  watchersHere(concertId: string): ReadonlySet<string>;
  /** Ids of this process's connections in the admin feed (a live view). */
  adminsHere(): ReadonlySet<string>;
}

/** Whether a registry keeps its watch sets in this process (Memory and Mirrored registries do). */
export function hasLocalWatchSets<R extends object>(registry: R): registry is R & LocalWatchSets {
  return (
    typeof (registry as Partial<LocalWatchSets>).watchersHere === 'function' &&
    typeof (registry as Partial<LocalWatchSets>).adminsHere === 'function'
  );
}

const NONE: ReadonlySet<string> = new Set();

/**
 * The registry in this process: the whole registry in embedded mode, and the shim's own copy of its
 * connections next to Redis (see MirroredConnectionRegistry). Entries live exactly as long as their
 * connection (the gateway removes each on close), so nothing here needs to expire.
 */
export class MemoryConnectionRegistry implements ConnectionRegistry, LocalWatchSets {
  private readonly connections = new Map<string, { info: ConnectionInfo; concerts: Set<string> }>();
  private readonly byConcert = new Map<string, Set<string>>();
  private readonly adminSet = new Set<string>();

  async register(connectionId: string, info: ConnectionInfo): Promise<void> {
    const known = this.connections.get(connectionId);
    if (known) known.info = info;
    else this.connections.set(connectionId, { info, concerts: new Set() });
  }

  async remove(connectionId: string): Promise<void> {
    for (const concertId of this.connections.get(connectionId)?.concerts ?? []) {
      const watchers = this.byConcert.get(concertId);
      watchers?.delete(connectionId);
      if (watchers?.size === 0) this.byConcert.delete(concertId);
    }
    this.connections.delete(connectionId);
    this.adminSet.delete(connectionId);
  }

  async isAdmin(connectionId: string): Promise<boolean> {
    return this.connections.get(connectionId)?.info.admin ?? false;
  }

  async watch(connectionId: string, concertId: string, maxConcerts = 0): Promise<WatchOutcome> {
    const connection = this.connections.get(connectionId);
    if (!connection) return 'gone';
    if (maxConcerts > 0 && !connection.concerts.has(concertId) && connection.concerts.size >= maxConcerts)
      return 'full';
    connection.concerts.add(concertId);
    let watchers = this.byConcert.get(concertId);
    if (!watchers) {
      watchers = new Set();
      this.byConcert.set(concertId, watchers);
    }
    watchers.add(connectionId);
    return 'watching';
  }

  async unwatch(connectionId: string, concertId: string): Promise<void> {
    this.connections.get(connectionId)?.concerts.delete(concertId);
    const watchers = this.byConcert.get(concertId);
    watchers?.delete(connectionId);
    if (watchers?.size === 0) this.byConcert.delete(concertId);
  }

  async joinAdmins(connectionId: string): Promise<void> {
    if (this.connections.has(connectionId)) this.adminSet.add(connectionId);
  }

  /** Takes the connection out of the admin feed (it stays connected and keeps watching its concerts). */
  leaveAdmins(connectionId: string): void {
    this.adminSet.delete(connectionId);
  }

  watchersHere(concertId: string): ReadonlySet<string> {
    return this.byConcert.get(concertId) ?? NONE;
  }

  adminsHere(): ReadonlySet<string> {
    return this.adminSet;
  }

  async watchers(concertId: string): Promise<string[]> {
    return [...(this.byConcert.get(concertId) ?? [])];
  }

  async admins(): Promise<string[]> {
    return [...this.adminSet];
  }

  async touch(connectionIds: string[]): Promise<string[]> {
    return connectionIds.filter((id) => !this.connections.has(id));
  }

  /** The connection as registered here, or undefined for one this process does not hold. */
  entry(connectionId: string): ConnectionEntry | undefined {
    const connection = this.connections.get(connectionId);
    if (!connection) return undefined;
    return { info: connection.info, concerts: connection.concerts, feed: this.adminSet.has(connectionId) };
  }

  async pruneStale(): Promise<number> {
    let pruned = 0;
    for (const watchers of [...this.byConcert.values(), this.adminSet]) {
      for (const id of watchers) {
        if (!this.connections.has(id)) {
          watchers.delete(id);
          pruned++;
        }
      }
    }
    return pruned;
  }
}

import type { ConnectionInfo, ConnectionRegistry, WatchOutcome } from '../../ports/connection-registry.port';
import { type LocalWatchSets, MemoryConnectionRegistry } from './memory-connection-registry';

/**
 * A long-running shim's registry: its own connections in memory (what its fan-out reads, so a watcher
 * never goes silent because Redis lost or expired an entry), written through to the shared registry in
 * Redis that the relay reads. `touch` (the shim calls it for its live connections well within the TTL)
 * renews the shared entries and rebuilds any the shared registry no longer knows, or failed to take.
 * Shared-store failures never fail a client's action: they are reported and healed by the next `touch`.
 */
export class MirroredConnectionRegistry implements ConnectionRegistry, LocalWatchSets {
  private readonly local = new MemoryConnectionRegistry();
  /** Connections whose last write to the shared registry failed: rebuilt there on the next touch. */
  private readonly unsynced = new Set<string>();

  constructor(
    private readonly shared: ConnectionRegistry,
    private readonly onSharedError: (error: unknown) => void,
  ) {}

  async register(connectionId: string, info: ConnectionInfo): Promise<void> {
    await this.local.register(connectionId, info);
    await this.toShared(connectionId, () => this.shared.register(connectionId, info));
  }

  async remove(connectionId: string): Promise<void> {
    await this.local.remove(connectionId);
    this.unsynced.delete(connectionId);
    // If this fails the shared entries age out on their own: nothing refreshes them any more.
    await this.shared.remove(connectionId).catch(this.onSharedError);
  }

  isAdmin(connectionId: string): Promise<boolean> {
    return this.local.isAdmin(connectionId);
  }

  async watch(connectionId: string, concertId: string, maxConcerts = 0): Promise<WatchOutcome> {
    const outcome = await this.local.watch(connectionId, concertId, maxConcerts);
    if (outcome === 'watching') {
      await this.toShared(connectionId, async () => {
        if ((await this.shared.watch(connectionId, concertId)) === 'gone') this.unsynced.add(connectionId);
      });
    }
    return outcome;
  }

  async unwatch(connectionId: string, concertId: string): Promise<void> {
    await this.local.unwatch(connectionId, concertId);
    await this.toShared(connectionId, () => this.shared.unwatch(connectionId, concertId));
  }

  async joinAdmins(connectionId: string): Promise<void> {
    await this.local.joinAdmins(connectionId);
    await this.toShared(connectionId, () => this.shared.joinAdmins(connectionId));
  }

  /** This process's watchers: the only sockets it can reach. */
  watchers(concertId: string): Promise<string[]> {
    return this.local.watchers(concertId);
  }

  admins(): Promise<string[]> {
    return this.local.admins();
  }

  watchersHere(concertId: string): ReadonlySet<string> {
    return this.local.watchersHere(concertId);
  }

  adminsHere(): ReadonlySet<string> {
    return this.local.adminsHere();
  }

  async touch(connectionIds: string[]): Promise<string[]> {
    let lost: string[] = [];
    try {
      lost = await this.shared.touch(connectionIds);
    } catch (error) {
      this.onSharedError(error);
      return this.local.touch(connectionIds);
    }
    for (const id of new Set([...lost, ...connectionIds.filter((id) => this.unsynced.has(id))])) {
      await this.rebuild(id).catch(this.onSharedError);
    }
    return this.local.touch(connectionIds);
  }

  async pruneStale(): Promise<number> {
    return (await this.local.pruneStale()) + (await this.shared.pruneStale());
  }

  /** Writes the connection's whole entry to the shared registry again (after Redis lost or expired it). */
  private async rebuild(connectionId: string): Promise<void> {
    const entry = this.local.entry(connectionId);
    if (!entry) return;
    this.unsynced.delete(connectionId);
    try {
      await this.shared.register(connectionId, entry.info);
      // Closed meanwhile: its `remove` may have run before the register above, so undo it.
      if (!this.local.entry(connectionId)) return void (await this.shared.remove(connectionId));
      for (const concertId of entry.concerts) await this.shared.watch(connectionId, concertId);
      if (entry.feed) await this.shared.joinAdmins(connectionId);
    } catch (error) {
      this.unsynced.add(connectionId);
      throw error;
    }
  }

  private async toShared(connectionId: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.unsynced.add(connectionId);
      this.onSharedError(error);
    }
  }
}

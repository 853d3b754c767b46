import type { ConnectionRegistry } from '../ports/connection-registry.port';

/** Embedded mode: the registry lives in this process. */
export class MemoryConnectionRegistry implements ConnectionRegistry {
  private readonly connections = new Map<string, { admin: boolean; concerts: Set<string> }>();
  private readonly byConcert = new Map<string, Set<string>>();
  private readonly adminSet = new Set<string>();

  async register(connectionId: string, info: { userId: string | null; admin: boolean }): Promise<void> {
    this.connections.set(connectionId, { admin: info.admin, concerts: new Set() });
  }

  async remove(connectionId: string): Promise<void> {
    for (const concertId of this.connections.get(connectionId)?.concerts ?? []) {
      this.byConcert.get(concertId)?.delete(connectionId);
    }
    this.connections.delete(connectionId);
    this.adminSet.delete(connectionId);
  }

  async isAdmin(connectionId: string): Promise<boolean> {
    return this.connections.get(connectionId)?.admin ?? false;
  }

  async watch(connectionId: string, concertId: string): Promise<void> {
    const connection = this.connections.get(connectionId);
    if (!connection) return;
    connection.concerts.add(concertId);
    let watchers = this.byConcert.get(concertId);
    if (!watchers) this.byConcert.set(concertId, (watchers = new Set()));
    watchers.add(connectionId);
  }

  async unwatch(connectionId: string, concertId: string): Promise<void> {
    this.connections.get(connectionId)?.concerts.delete(concertId);
    this.byConcert.get(concertId)?.delete(connectionId);
  }

  async joinAdmins(connectionId: string): Promise<void> {
    if (this.connections.has(connectionId)) this.adminSet.add(connectionId);
  }

  async watchers(concertId: string): Promise<string[]> {
    return [...(this.byConcert.get(concertId) ?? [])];
  }

  async admins(): Promise<string[]> {
    return [...this.adminSet];
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

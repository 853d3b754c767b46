/** Which WebSocket connection watches which concert, and which are admins (API Gateway's model). */
export interface ConnectionRegistry {
  register(connectionId: string, info: { userId: string | null; admin: boolean }): Promise<void>;
  remove(connectionId: string): Promise<void>;
  isAdmin(connectionId: string): Promise<boolean>;
  watch(connectionId: string, concertId: string): Promise<void>;
  unwatch(connectionId: string, concertId: string): Promise<void>;
  joinAdmins(connectionId: string): Promise<void>;
  watchers(concertId: string): Promise<string[]>;
  admins(): Promise<string[]>;
  /** Drops entries whose connection record is gone (expired or never removed); returns how many. */
  pruneStale(): Promise<number>;
}

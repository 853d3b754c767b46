import type { RealtimeMessage } from '../core/realtime';
import type { EventTrace } from './event-bus.port';

export interface RelayLease {
  readonly token: string;
  /**
   * Extends the lease by its full time-to-live; false when it was lost (expired, maybe taken by another
   * relay). The holder renews it on a timer while it works, not only when idle.
   */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export interface StreamEntry {
  id: string;
  /** Null for an entry that could not be read; it is skipped (reported as malformed). */
  message: RealtimeMessage | null;
  trace?: EventTrace;
}

/** The capped log of real-time messages the relay consumes, its stored position and its leader lease. */
export interface RelayStream {
  /** Takes the leader lease for `ttlMs` (ms), or null when another relay holds it. */
  acquireLease(ttlMs: number): Promise<RelayLease | null>;
  position(): Promise<string>;
  read(after: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /** Stores the position only while `lease` is still held, so a deposed relay cannot move it. */
  commit(lease: RelayLease, position: string): Promise<boolean>;
}

import type { RealtimeMessage } from '../core/realtime';
import type { EventTrace } from './event-bus.port';

export interface RelayLease {
  readonly token: string;
  /** False when the lease was lost (expired and taken by another relay). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export interface StreamEntry {
  id: string;
  /** Null for an entry that could not be read; it is skipped. */
  message: RealtimeMessage | null;
  trace?: EventTrace;
}

/** The capped log of real-time messages the relay consumes, its stored position and its leader lease. */
export interface RelayStream {
  acquireLease(ttlMs: number): Promise<RelayLease | null>;
  position(): Promise<string>;
  read(after: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /** Stores the position only while `lease` is still held, so a deposed relay cannot move it. */
  commit(lease: RelayLease, position: string): Promise<boolean>;
}

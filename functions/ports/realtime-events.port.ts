import type { AdminNotification } from '../core/realtime';

/**
 * What a committed hold did to its tier, as the claiming statement answered it: enough to build the next
 * `concert-update` without reading the concert again (see AvailabilityPublisher).
 */
export interface TierClaim {
  tierId: string;
  /** Tickets the hold took. */
  quantity: number;
  /** The tier's `available` as the claim left it (overdue holds not added back). */
  availableAfter: number;
  /** The tier's `version` as the claim left it. */
  versionAfter: number;
  /** When the new hold runs out (ISO 8601). */
  expiresAt: string;
}

/** What the use cases tell the real-time side after a change has committed. Never throws, never waits. */
export interface RealtimeEvents {
  /**
   * `claims`: what the change did to the concert's tiers when the statement answered it (a hold batch);
   * without them, the next snapshot is read from the database.
   */
  concertChanged(concertId: string, claims?: TierClaim[]): void;
  notifyAdmins(notice: Omit<AdminNotification, 'type' | 'at'>): void;
}

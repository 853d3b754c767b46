import type { AdminNotification } from '../core/realtime';

/** What the use cases tell the real-time side after a change has committed. Never throws, never waits. */
export interface RealtimeEvents {
  concertChanged(concertId: string): void;
  notifyAdmins(notice: Omit<AdminNotification, 'type' | 'at'>): void;
}

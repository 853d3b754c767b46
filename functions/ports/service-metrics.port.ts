import type { RealtimeMessage } from '../core/realtime';
/**
 * The numbers operators watch, recorded where they happen. Prometheus in the containers (GET /metrics),
 * CloudWatch embedded metrics (EMF log lines) on Lambda: one interface, so no handler knows which.
 */
export interface ServiceMetrics {
  request(route: string, method: string, status: number, seconds: number): void;
  /** A committed change announced to admins: new-reservation, reservation-confirmed, sold-out, … */
  ticketingEvent(event: string): void;
  /** A real-time message reached its recipients this long after it was published. */
  deliveryLag(kind: RealtimeMessage['type'], seconds: number): void;
  /**
   * The relay gave up on a message for some recipients and went on: `reason` is too-large, throttled,
   * unavailable, refused, out-of-time, or malformed (a stream entry that does not parse). One per message.
   */
  relaySkipped(reason: string): void;
  jobFinished(job: string, outcome: 'succeeded' | 'failed' | 'skipped', seconds: number): void;
  /**
   * The server closed or refused a live connection: `reason` is too-many-connections, rate-limited,
   * frame-too-large, unauthorized, not-registered or admin-token-revoked; `transport` ws or socket.io.
   */
  connectionRefused(reason: string, transport: string): void;
}

import type { RealtimeMessage } from '../core/realtime';

/**
 * Where a message came from, carried beside it (never sent to clients): the requests whose changes it
 * reports, for following one request from its log line to the delivery, and when it was published, for
 * the relay's lag.
 */
export interface EventTrace {
  /** The causing requests' ids (x-request-id or the gateway's), at most MAX_TRACED_REQUESTS. */
  requestIds: string[];
  /** Epoch milliseconds. */
  publishedAt: number;
}

export const MAX_TRACED_REQUESTS = 20;

/** Carries real-time messages to every replica (Redis pub/sub + a capped stream, or in-process). */
export interface EventBus {
  publish(message: RealtimeMessage, trace?: EventTrace): Promise<void>;
  /** Resolves once listening; the returned function stops it. */
  subscribe(listener: (message: RealtimeMessage, trace?: EventTrace) => void): Promise<() => Promise<void>>;
}

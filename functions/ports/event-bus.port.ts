import type { RealtimeMessage } from '../core/realtime';

/** Carries real-time messages to every replica (Redis pub/sub + a capped stream, or in-process). */
export interface EventBus {
  publish(message: RealtimeMessage): Promise<void>;
  /** Resolves once listening; the returned function stops it. */
  subscribe(listener: (message: RealtimeMessage) => void): Promise<() => Promise<void>>;
}

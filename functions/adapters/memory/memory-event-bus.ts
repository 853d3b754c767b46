import type { RealtimeMessage } from '../../core/realtime';
import type { EventBus, EventTrace } from '../../ports/event-bus.port';

/** Embedded mode: one process, so the bus is a list of listeners. Delivery is asynchronous, as with Redis. */
export class MemoryEventBus implements EventBus {
  private readonly listeners = new Set<(message: RealtimeMessage, trace?: EventTrace) => void>();

  /** @param onListenerError told when a listener throws; delivery to the others goes on. */
  constructor(private readonly onListenerError?: (error: unknown) => void) {}

  async publish(message: RealtimeMessage, trace?: EventTrace): Promise<void> {
    for (const listener of this.listeners)
      queueMicrotask(() => {
        try {
          listener(message, trace);
        } catch (error) {
          this.onListenerError?.(error);
        }
      });
  }

  async subscribe(
    listener: (message: RealtimeMessage, trace?: EventTrace) => void,
  ): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }
}

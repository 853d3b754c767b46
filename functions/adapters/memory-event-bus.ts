import type { RealtimeMessage } from '../core/realtime';
import type { EventBus, EventTrace } from '../ports/event-bus.port';

/** Embedded mode: one process, so the bus is a list of listeners. Delivery is asynchronous, as with Redis. */
export class MemoryEventBus implements EventBus {
  private readonly listeners = new Set<(message: RealtimeMessage, trace?: EventTrace) => void>();

  async publish(message: RealtimeMessage, trace?: EventTrace): Promise<void> {
    for (const listener of this.listeners) queueMicrotask(() => listener(message, trace));
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

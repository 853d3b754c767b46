import type { RealtimeMessage } from '../core/realtime';
import type { EventBus } from '../ports/event-bus.port';

/** Embedded mode: one process, so the bus is a list of listeners. Delivery is asynchronous, as with Redis. */
export class MemoryEventBus implements EventBus {
  private readonly listeners = new Set<(message: RealtimeMessage) => void>();

  async publish(message: RealtimeMessage): Promise<void> {
    for (const listener of this.listeners) queueMicrotask(() => listener(message));
  }

  async subscribe(listener: (message: RealtimeMessage) => void): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }
}

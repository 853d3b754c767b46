import { describe, expect, it } from 'vitest';
import { MemoryEventBus } from '../../functions/adapters/memory/memory-event-bus';
import { parseBusPayload } from '../../functions/adapters/redis/realtime-message-schema';
import { AvailabilityPublisher } from '../../functions/core/availability-publisher';
import type { RealtimeMessage } from '../../functions/core/realtime';
import type { ConcertRepository } from '../../functions/ports/concert.repository.port';

// Issue 19: during a 2,000 holds/s sale an admin got one `new-reservation` per hold. Now a few go one by
// one per window and the rest are counted into one `reservations` message: nothing lost.

const noConcerts = {} as ConcertRepository;

async function feed(adminWindowMs: number, coalesceMs = 50) {
  const bus = new MemoryEventBus();
  const heard: RealtimeMessage[] = [];
  await bus.subscribe((message) => {
    heard.push(message);
  });
  const events = new AvailabilityPublisher(noConcerts, bus, {
    coalesceMs,
    adminWindowMs,
    onError: (error) => {
      throw error;
    },
  });
  return { events, heard };
}

const announced = (heard: RealtimeMessage[], concertId: string) =>
  heard.filter(
    (m) => m.type === 'admin-notification' && m.event === 'new-reservation' && m.concertId === concertId,
  ).length +
  heard
    .flatMap((m) => (m.type === 'reservations' ? m.concerts : []))
    .filter((c) => c.concertId === concertId)
    .reduce((sum, c) => sum + c.holds, 0);

describe('the admin feed during a sale', () => {
  it('announces 2,000 holds on three concerts in a few messages, every hold counted', async () => {
    const { events, heard } = await feed(200);
    const started = Date.now();
    for (let i = 0; i < 2_000; i++) {
      events.notifyAdmins({ event: 'new-reservation', concertId: `c${i % 3}`, reservationId: `r${i}` });
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await expect
      .poll(() => [0, 1, 2].map((c) => announced(heard, `c${c}`)), { timeout: 5_000 })
      .toEqual([667, 667, 666]);
    const windows = Math.ceil((Date.now() - started) / 200) + 1;
    // Per window: at most 3 notices one by one and one summary.
    expect(heard.length).toBeLessThanOrEqual(windows * 4);
    expect(heard.filter((m) => m.type === 'reservations').length).toBeGreaterThan(0);
    // Other notices are never folded.
    events.notifyAdmins({ event: 'sold-out', concertId: 'c0', reservationId: 'r-last' });
    await events.settled();
    expect(heard).toContainEqual(expect.objectContaining({ type: 'admin-notification', event: 'sold-out' }));
    events.close();
  });

  it('sends what it counted when it closes, and a quiet hold one by one', async () => {
    const { events, heard } = await feed(60_000);
    for (let i = 0; i < 10; i++)
      events.notifyAdmins({ event: 'new-reservation', concertId: 'c', reservationId: `r${i}` });
    await events.settled();
    expect(heard.filter((m) => m.type === 'admin-notification')).toHaveLength(3);
    events.close();
    await events.settled();
    expect(announced(heard, 'c')).toBe(10);
    const summary = heard.find((m) => m.type === 'reservations');
    // Replicas validate what they hear on the bus: the summary passes.
    expect(parseBusPayload(JSON.stringify(summary))?.message).toEqual(summary);
  });

  it('announces every hold one by one where nothing runs between requests (Lambda: no coalescing)', async () => {
    const { events, heard } = await feed(0, 0);
    for (let i = 0; i < 10; i++)
      events.notifyAdmins({ event: 'new-reservation', concertId: 'c', reservationId: `r${i}` });
    await events.settled();
    expect(heard.filter((m) => m.type === 'admin-notification')).toHaveLength(10);
  });
});

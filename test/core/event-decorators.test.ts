import { describe, expect, it } from 'vitest';
import { announcingOffers, countingEvents } from '../../functions/composition/event-decorators';
import type { RealtimeEvents, TierClaim } from '../../functions/ports/realtime-events.port';
import type { ServiceMetrics } from '../../functions/ports/service-metrics.port';

const claim: TierClaim = {
  tierId: '00000000-0000-4000-8000-0000000000a1',
  quantity: 2,
  availableAfter: 8,
  versionAfter: 3,
  expiresAt: '2026-12-01T00:10:00.000Z',
};

/** Records what reaches the publisher. */
function recorder(): RealtimeEvents & { calls: Array<[string, TierClaim[] | undefined]> } {
  const calls: Array<[string, TierClaim[] | undefined]> = [];
  return { calls, concertChanged: (id, claims) => calls.push([id, claims]), notifyAdmins: () => {} };
}

describe('the event decorators the composition root stacks on the publisher', () => {
  it("pass a hold batch's claims through to the publisher (it builds the next snapshot from them)", () => {
    const inner = recorder();
    let pokes = 0;
    const metrics = new Proxy({}, { get: () => () => {} }) as ServiceMetrics;
    const events = announcingOffers(countingEvents(metrics, inner), { poke: () => pokes++ });
    events.concertChanged('concert-1', [claim]);
    events.concertChanged('concert-2');
    expect(inner.calls).toEqual([
      ['concert-1', [claim]],
      ['concert-2', undefined],
    ]);
    // Every change may have released tickets the database offered to the waiting list.
    expect(pokes).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { WaitlistOfferAnnouncer } from '../../functions/core/waitlist.service';
import type { PendingOffer } from '../../functions/ports/waitlist.repository.port';

const offer: PendingOffer = {
  entryId: 'e1',
  userId: 'u1',
  email: 'fan@example.test',
  name: 'Fan',
  concertTitle: 'Show',
  tierName: 'GA',
  reservation: {
    id: 'r1',
    userId: 'u1',
    status: 'held',
    concertId: 'c1',
    tierId: 't1',
    quantity: 1,
    totalCents: 1500,
    currency: 'EUR',
    expiresAt: '2026-12-01T00:10:00.000Z',
    createdAt: '2026-12-01T00:00:00.000Z',
  },
};

/** The announcer hands its queued e-mails to the outbox delivery within its run (Lambda waits for it). */
describe('WaitlistOfferAnnouncer delivers the outbox after queueing offer e-mails', () => {
  const announcer = (pending: PendingOffer[][], delivered: string[], errors: unknown[] = []) =>
    new WaitlistOfferAnnouncer(
      { announceOffers: async () => pending.shift() ?? [] },
      { offerMade: () => undefined },
      (error) => errors.push(error),
      {
        mailsQueued: async () => {
          // Slow on purpose: settled() must wait for the delivery, as a Lambda's beforeAnswer does.
          await new Promise((resolve) => setTimeout(resolve, 50));
          delivered.push('outbox');
        },
      },
    );

  it('delivers once after a run that announced offers, and settled() waits for it', async () => {
    const delivered: string[] = [];
    const subject = announcer([[offer]], delivered);
    subject.poke();
    await subject.settled();
    expect(delivered).toEqual(['outbox']);
  });

  it('does not deliver after a run that announced nothing', async () => {
    const delivered: string[] = [];
    const subject = announcer([], delivered);
    expect(await subject.announceAll()).toBe(0);
    expect(delivered).toEqual([]);
  });

  it('reports a failed delivery and still answers what it announced', async () => {
    const errors: unknown[] = [];
    const subject = new WaitlistOfferAnnouncer(
      { announceOffers: async () => [offer] },
      { offerMade: () => undefined },
      (error) => errors.push(error),
      {
        batchSize: 2,
        mailsQueued: async () => {
          throw new Error('smtp down');
        },
      },
    );
    expect(await subject.announceAll()).toBe(1);
    expect(errors).toEqual([new Error('smtp down')]);
  });
});

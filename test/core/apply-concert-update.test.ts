import { describe, expect, it } from 'vitest';
import type { Concert } from '../../functions/core/model';
import { applyConcertUpdate as applyUpdate, concertUpdate } from '../../functions/core/realtime';

const concert: Concert = {
  id: 'c1',
  title: 'T',
  artist: 'A',
  venue: 'V',
  startsAt: '2027-01-01T20:00:00.000Z',
  status: 'on-sale',
  availableTickets: 10,
  totalBooked: 0,
  version: 5,
  tiers: [
    {
      id: 't1',
      name: 'GA',
      priceCents: 100,
      currency: 'USD',
      capacity: 8,
      available: 8,
      maxPerOrder: 4,
      version: 3,
    },
    {
      id: 't2',
      name: 'VIP',
      priceCents: 900,
      currency: 'USD',
      capacity: 2,
      available: 2,
      maxPerOrder: 2,
      version: 2,
    },
  ],
};

const changed = (version: number, gaAvailable: number): Concert => ({
  ...concert,
  version,
  availableTickets: gaAvailable + 2,
  totalBooked: 8 - gaAvailable,
  tiers: concert.tiers.map((tier) => (tier.id === 't1' ? { ...tier, available: gaAvailable } : tier)),
});

describe('applyConcertUpdate (the read cache and the web page keep their copies with it)', () => {
  it('takes a newer snapshot: counts per tier and in total, names and prices kept', () => {
    const next = applyUpdate(concert, concertUpdate(changed(6, 5)));
    expect(next).toMatchObject({ version: 6, availableTickets: 7, totalBooked: 3 });
    expect(next.tiers.map((tier) => [tier.name, tier.available, tier.priceCents])).toEqual([
      ['GA', 5, 100],
      ['VIP', 2, 900],
    ]);
  });

  it('ignores an update not newer than the one it holds, and one for another concert', () => {
    const held = applyUpdate(concert, concertUpdate(changed(9, 1)));
    expect(applyUpdate(held, concertUpdate(changed(7, 6)))).toBe(held);
    expect(applyUpdate(held, concertUpdate(changed(9, 6)))).toBe(held);
    expect(applyUpdate(held, { ...concertUpdate(changed(12, 0)), concertId: 'other' })).toBe(held);
  });
});

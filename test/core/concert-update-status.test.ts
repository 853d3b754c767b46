import { describe, expect, it } from 'vitest';
import type { Concert } from '../../functions/core/model';
import { applyConcertUpdate, concertUpdate } from '../../functions/core/realtime';

const concert: Concert = {
  id: 'c1',
  title: 'T',
  artist: 'A',
  venue: 'V',
  startsAt: '2027-01-01T20:00:00.000Z',
  status: 'on-sale',
  availableTickets: 4,
  totalBooked: 0,
  version: 5,
  tiers: [
    {
      id: 't1',
      name: 'GA',
      priceCents: 100,
      currency: 'USD',
      capacity: 4,
      available: 4,
      maxPerOrder: 4,
      version: 5,
    },
  ],
};

describe('concert-update carries the status (the web page and the read cache keep it with applyConcertUpdate)', () => {
  it('a newer update with status cancelled moves the copy to cancelled', () => {
    const update = concertUpdate({ ...concert, status: 'cancelled', version: 6 });
    expect(update.status).toBe('cancelled');
    expect(applyConcertUpdate(concert, update)).toMatchObject({ status: 'cancelled', version: 6 });
  });

  it('an older or equal update never brings a status back', () => {
    const cancelled = { ...concert, status: 'cancelled' as const, version: 6 };
    expect(applyConcertUpdate(cancelled, concertUpdate(concert))).toBe(cancelled);
  });

  it('an update written before status was part of the message keeps the status held', () => {
    const { status: _dropped, ...legacy } = concertUpdate({ ...concert, version: 7, availableTickets: 3 });
    const next = applyConcertUpdate({ ...concert, status: 'paused' }, legacy as never);
    expect(next).toMatchObject({ status: 'paused', version: 7, availableTickets: 3 });
  });
});

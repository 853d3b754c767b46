import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Concert } from '../../web/src/api/contract';
import { draftOf, updateRequestOf } from '../../web/src/pages/admin/concert-draft';

// Found by an outside tester of issue 20: the console sent the concert's times back on every save as the
// minute a datetime-local input shows. An unrelated edit (a title fix) then dropped the seconds of the
// on-sale time, was refused QUEUE_ALREADY_OPEN during a sale, and in the hour a DST change repeats moved
// the time an hour earlier. An untouched time now goes back exactly as the concert has it.

const previousTz = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'Europe/Berlin';
});
afterAll(() => {
  if (previousTz === undefined) delete process.env.TZ;
  else process.env.TZ = previousTz;
});

function concert(times: { startsAt: string; onSaleAt?: string }): Concert {
  return {
    id: 'c1',
    title: 'Old title',
    artist: 'A',
    venue: 'V',
    status: 'on-sale',
    availableTickets: 10,
    totalBooked: 0,
    version: 1,
    tiers: [],
    waitingRoom: { enabled: true, admissionPerMinute: 'auto', admissionWindowSeconds: 600, paused: false },
    ...times,
  };
}

describe('the concert form sends an untouched time back unchanged (Europe/Berlin)', () => {
  it('the second 02:30 of the October DST change stays that instant', () => {
    // 2027-10-31 01:30Z is 02:30 CET, the second 02:30 of that night (the first is 00:30Z, CEST).
    const saved = concert({ startsAt: '2027-10-31T01:30:00.000Z', onSaleAt: '2027-10-31T01:30:00.000Z' });
    const request = updateRequestOf({ ...draftOf(saved), title: 'New title' }, saved);
    expect(request.startsAt).toBe('2027-10-31T01:30:00.000Z');
    expect(request).not.toHaveProperty('onSaleAt');
  });

  it('an on-sale time with seconds is not moved to the minute (and not sent at all)', () => {
    const saved = concert({ startsAt: '2026-12-20T19:00:00.000Z', onSaleAt: '2026-12-01T01:46:18.540Z' });
    const request = updateRequestOf({ ...draftOf(saved), title: 'New title' }, saved);
    expect(request).not.toHaveProperty('onSaleAt');
    expect(request.startsAt).toBe('2026-12-20T19:00:00.000Z');
  });

  it('a time the organiser typed is sent, and a cleared on-sale time is null', () => {
    const saved = concert({ startsAt: '2026-12-20T19:00:00.000Z', onSaleAt: '2026-12-01T01:46:18.540Z' });
    const typed = updateRequestOf({ ...draftOf(saved), onSaleAt: '2026-12-02T10:15' }, saved);
    expect(typed.onSaleAt).toBe('2026-12-02T09:15:00.000Z');
    expect(updateRequestOf({ ...draftOf(saved), onSaleAt: '' }, saved).onSaleAt).toBeNull();
  });
});

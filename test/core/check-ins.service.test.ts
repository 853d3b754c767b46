import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalTicketCode,
  checkInTicket,
  concertCheckIns,
  initialsOf,
  SCAN_CLOCK_SKEW_MS,
  ticketCodeHash,
} from '../../functions/core/check-ins.service';
import type { Principal } from '../../functions/core/model';
import { newTicketCode } from '../../functions/core/ticket-codes';
import type {
  CheckInClaim,
  CheckInRecord,
  CheckInRepository,
} from '../../functions/ports/check-in.repository.port';
import type { RealtimeEvents } from '../../functions/ports/realtime-events.port';

const staff: Principal = { userId: '00000000-0000-4000-8000-000000000001', role: 'staff' };
const ticket = { code: 'ABCD-EFGH-JKMN-PQRS', concertId: 'c', tierId: 't', holderName: 'Jane Doe' };

/** A repository that answers `record` with `answer` and remembers every claim. */
function fakeRepository(answer: (claim: CheckInClaim) => CheckInRecord) {
  const claims: CheckInClaim[] = [];
  const repository: CheckInRepository = {
    record: async (claim) => {
      claims.push(claim);
      return answer(claim);
    },
    attendance: async (concertId) =>
      concertId === 'c'
        ? [
            { tierId: 't1', checkedIn: 2, sold: 5 },
            { tierId: 't2', checkedIn: 1, sold: 1 },
          ]
        : null,
    validTickets: async () => [],
  };
  return { repository, claims };
}

function recordingEvents() {
  const notices: unknown[] = [];
  const events: RealtimeEvents = { concertChanged: () => {}, notifyAdmins: (notice) => notices.push(notice) };
  return { events, notices };
}

describe('check-in rules (core)', () => {
  it('reads codes as printed: case, spaces, dashes and look-alike letters do not matter', () => {
    const code = newTicketCode();
    expect(canonicalTicketCode(code)).toBe(code);
    expect(canonicalTicketCode(` ${code.toLowerCase().replaceAll('-', ' ')} `)).toBe(code);
    expect(canonicalTicketCode('o1il-0000-0000-0000')).toBe('0111-0000-0000-0000');
    expect(canonicalTicketCode('not a code')).toBe('NOT A CODE');
    expect(ticketCodeHash(code.toLowerCase())).toBe(createHash('sha256').update(code).digest('hex'));
  });

  it('gives initials for the offline list', () => {
    expect(initialsOf('Jane Doe')).toBe('J. D.');
    expect(initialsOf('  émile   zola ')).toBe('É. Z.');
    expect(initialsOf('A B C D E')).toBe('A. B. C. D.');
  });

  it('keeps a past scannedAt, stores a little ahead as now, refuses beyond the skew', async () => {
    const now = new Date('2026-12-01T20:00:00Z');
    const { repository, claims } = fakeRepository(() => ({
      kind: 'admitted',
      ticket,
      admission: { at: now.toISOString(), deviceId: 'd' },
      firstScan: true,
    }));
    const deps = { checkIns: repository, events: recordingEvents().events, now: () => now };
    const scan = (scannedAt?: string) =>
      checkInTicket(deps, staff, { code: ticket.code, deviceId: 'd', scannedAt });
    await scan('2026-12-01T19:00:00Z');
    await scan(new Date(now.getTime() + SCAN_CLOCK_SKEW_MS).toISOString());
    await scan();
    expect(claims.map((claim) => claim.scannedAt.toISOString())).toEqual([
      '2026-12-01T19:00:00.000Z',
      now.toISOString(),
      now.toISOString(),
    ]);
    await expect(scan(new Date(now.getTime() + SCAN_CLOCK_SKEW_MS + 1).toISOString())).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(claims).toHaveLength(3);
  });

  it('tells admins of a first admission only, and maps each refusal to its code', async () => {
    const admission = { at: '2026-12-01T19:00:00.000Z', deviceId: 'door-a' };
    const answers: CheckInRecord[] = [
      { kind: 'admitted', ticket, admission, firstScan: true },
      { kind: 'admitted', ticket, admission, firstScan: false },
      { kind: 'already-checked-in', ticket, admission },
      { kind: 'not-found' },
      { kind: 'not-valid', ticket, reason: 'other-concert' },
    ];
    const { repository } = fakeRepository(() => answers.shift() as CheckInRecord);
    const { events, notices } = recordingEvents();
    const scan = () =>
      checkInTicket({ checkIns: repository, events }, staff, { code: ticket.code, deviceId: 'door-a' });
    const first = await scan();
    expect(await scan()).toEqual(first);
    await expect(scan()).rejects.toMatchObject({ code: 'ALREADY_CHECKED_IN', details: admission });
    await expect(scan()).rejects.toMatchObject({ code: 'TICKET_NOT_FOUND' });
    await expect(scan()).rejects.toMatchObject({
      code: 'TICKET_NOT_VALID',
      details: { reason: 'other-concert' },
    });
    expect(notices).toEqual([{ event: 'checked-in', concertId: 'c', tierId: 't' }]);
  });

  it('lets staff and admins in, and nobody else', async () => {
    const { repository } = fakeRepository(() => ({ kind: 'not-found' }));
    const { events } = recordingEvents();
    await expect(
      checkInTicket(
        { checkIns: repository, events },
        { ...staff, role: 'customer' },
        { code: 'x', deviceId: 'd' },
      ),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await concertCheckIns(repository, { ...staff, role: 'admin' }, 'c')).toEqual({
      checkedIn: 3,
      sold: 6,
      byTier: [
        { tierId: 't1', checkedIn: 2, sold: 5 },
        { tierId: 't2', checkedIn: 1, sold: 1 },
      ],
    });
    await expect(concertCheckIns(repository, staff, 'other')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

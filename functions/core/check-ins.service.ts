import { createHash } from 'node:crypto';
import type { CheckInRepository, TierAttendance } from '../ports/check-in.repository.port';
import type { RealtimeEvents } from '../ports/realtime-events.port';
import { notFound, TicketingError } from './errors';
import type { Principal } from './model';

/** How far a scan's own `scannedAt` may lie ahead of the server's clock (ms): phones' clocks drift. */
export const SCAN_CLOCK_SKEW_MS = 5 * 60_000;

export interface CheckInDeps {
  checkIns: CheckInRepository;
  events: RealtimeEvents;
  now?: () => Date;
}

/** The answer to an admitted scan, the same for every repeat from the device that was first. */
export interface CheckInAdmitted {
  result: 'admitted';
  ticket: { code: string; tierId: string; holderName: string; concertId: string };
  /** When the admission was scanned (ISO-8601 UTC) and by which device. */
  at: string;
  deviceId: string;
}

/** Staff at the door and admins may check tickets in; nobody else. @throws TicketingError FORBIDDEN */
export function requireDoorStaff(principal: Principal): void {
  if (principal.role !== 'staff' && principal.role !== 'admin')
    throw new TicketingError('FORBIDDEN', 'Only door staff and administrators may do this');
}

// Crockford's base32 (ticket-codes.ts): what people misread or mistype maps back to its digit.
const LOOKALIKES: Record<string, string> = { O: '0', I: '1', L: '1' };

/**
 * A code as typed or scanned, in the form tickets are issued in (`XXXX-XXXX-XXXX-XXXX`, Crockford base32):
 * case, spaces and dashes do not matter, and O, I, L read as 0, 1, 1. Anything that is not 16 such
 * characters comes back upper-cased and trimmed (it will then not be found).
 */
export function canonicalTicketCode(input: string): string {
  const compact = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[OIL]/g, (c) => LOOKALIKES[c] ?? c);
  if (!/^[0-9A-HJKMNP-TV-Z]{16}$/.test(compact)) return input.trim().toUpperCase();
  return `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8, 12)}-${compact.slice(12, 16)}`;
}

/**
 * SHA-256 (FIPS 180-4) of the canonical code's UTF-8 bytes, as 64 lower-case hex digits: what the offline
 * list carries instead of the code. Codes carry 80 random bits, so the hash gives no usable way back.
 */
export function ticketCodeHash(code: string): string {
  return createHash('sha256').update(canonicalTicketCode(code), 'utf8').digest('hex');
}

/**
 * Checks a ticket in at the door: the first scan of a valid ticket admits it, whichever device and replica
 * ask at the same moment (one statement on the ticket's unique key); a repeat from the same device by the same
 * account answers the same admission (idempotent per device and account; the same device id sent by another
 * account is ALREADY_CHECKED_IN). `scannedAt` (an offline scan synced later) is kept as the
 * scan's time; absent, the server's clock. A first admission tells admins (`checked-in`).
 * @param input.code as printed or typed (canonicalTicketCode)
 * @param input.scannedAt at most SCAN_CLOCK_SKEW_MS ahead of the server's clock; a little ahead is stored as now
 * @throws TicketingError FORBIDDEN (not staff or admin), VALIDATION_FAILED (scannedAt too far ahead),
 *   TICKET_NOT_FOUND (404), TICKET_NOT_VALID (409; details.reason `other-concert`, `concert-cancelled`,
 *   `reservation-cancelled`), ALREADY_CHECKED_IN (409; details `{at, deviceId}` of the first admission)
 */
export async function checkInTicket(
  deps: CheckInDeps,
  principal: Principal,
  input: { code: string; deviceId: string; concertId?: string | undefined; scannedAt?: string | undefined },
): Promise<CheckInAdmitted> {
  requireDoorStaff(principal);
  const now = deps.now?.() ?? new Date();
  let scannedAt = now;
  if (input.scannedAt !== undefined) {
    const given = new Date(input.scannedAt);
    if (given.getTime() > now.getTime() + SCAN_CLOCK_SKEW_MS)
      throw new TicketingError('VALIDATION_FAILED', 'The body is invalid', [
        {
          path: 'scannedAt',
          message: `must not be more than ${SCAN_CLOCK_SKEW_MS / 60_000} minutes ahead of the server's clock`,
        },
      ]);
    if (given.getTime() < now.getTime()) scannedAt = given;
  }
  const record = await deps.checkIns.record({
    code: canonicalTicketCode(input.code),
    deviceId: input.deviceId,
    checkedInBy: principal.userId,
    concertId: input.concertId ?? null,
    scannedAt,
  });
  switch (record.kind) {
    case 'admitted': {
      const { ticket, admission } = record;
      if (record.firstScan)
        deps.events.notifyAdmins({ event: 'checked-in', concertId: ticket.concertId, tierId: ticket.tierId });
      return {
        result: 'admitted',
        ticket: {
          code: ticket.code,
          tierId: ticket.tierId,
          holderName: ticket.holderName,
          concertId: ticket.concertId,
        },
        at: admission.at,
        deviceId: admission.deviceId,
      };
    }
    case 'already-checked-in':
      throw new TicketingError(
        'ALREADY_CHECKED_IN',
        `This ticket was already checked in at ${record.admission.at} by device ${record.admission.deviceId}`,
        { at: record.admission.at, deviceId: record.admission.deviceId, tierId: record.ticket.tierId },
      );
    case 'not-found':
      throw new TicketingError('TICKET_NOT_FOUND', 'No ticket has this code');
    case 'not-valid':
      throw new TicketingError('TICKET_NOT_VALID', NOT_VALID_MESSAGES[record.reason], {
        reason: record.reason,
      });
  }
}

const NOT_VALID_MESSAGES = {
  'other-concert': 'This ticket is for another concert',
  'concert-cancelled': 'This concert was cancelled',
  'reservation-cancelled': 'This ticket was cancelled',
} as const;

/** Checked in vs sold for one concert, in total and per tier (tiers in the concert's order). */
export interface ConcertCheckIns {
  checkedIn: number;
  sold: number;
  byTier: TierAttendance[];
}

/**
 * How many of a concert's sold tickets were let in so far (staff or admin).
 * @throws TicketingError FORBIDDEN, NOT_FOUND (no such concert)
 */
export async function concertCheckIns(
  checkIns: CheckInRepository,
  principal: Principal,
  concertId: string,
): Promise<ConcertCheckIns> {
  requireDoorStaff(principal);
  const byTier = await checkIns.attendance(concertId);
  if (!byTier) throw notFound('Concert');
  return {
    checkedIn: byTier.reduce((sum, tier) => sum + tier.checkedIn, 0),
    sold: byTier.reduce((sum, tier) => sum + tier.sold, 0),
    byTier,
  };
}

/** One ticket of the offline list: never the code itself. */
export interface HashedTicketCode {
  /** ticketCodeHash of the code: SHA-256, lower-case hex. */
  hash: string;
  tierId: string;
  /** The holder's initials ("Jane Doe" → "J. D."), enough for a glance at the door. */
  holderInitials: string;
  /** Already let in when the list was made. */
  checkedIn: boolean;
}

/** The list a scanner downloads to keep checking tickets while the door has no network. */
export interface TicketCodeList {
  concertId: string;
  algorithm: 'SHA-256';
  generatedAt: string;
  codes: HashedTicketCode[];
}

/** "Jane van Doe" → "J. V. D.": at most four initials. */
export function initialsOf(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 4)
    .map((word) => `${[...word][0]?.toUpperCase() ?? ''}.`)
    .join(' ');
}

/**
 * The concert's tickets that may be let in (confirmed, concert not cancelled), hashed (ticketCodeHash), with
 * tier, holder's initials and whether already checked in (staff or admin).
 * @throws TicketingError FORBIDDEN, NOT_FOUND (no such concert)
 */
export async function ticketCodeList(
  checkIns: CheckInRepository,
  principal: Principal,
  concertId: string,
  now: () => Date = () => new Date(),
): Promise<TicketCodeList> {
  requireDoorStaff(principal);
  const tickets = await checkIns.validTickets(concertId);
  if (!tickets) throw notFound('Concert');
  return {
    concertId,
    algorithm: 'SHA-256',
    generatedAt: now().toISOString(),
    codes: tickets.map((ticket) => ({
      hash: ticketCodeHash(ticket.code),
      tierId: ticket.tierId,
      holderInitials: initialsOf(ticket.holderName),
      checkedIn: ticket.checkedIn,
    })),
  };
}

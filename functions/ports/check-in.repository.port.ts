/** One scan to record: the ticket `code` as printed (canonical form, see core/check-ins.service). */
export interface CheckInClaim {
  code: string;
  /**
   * The scanning device's own id (kept in its browser); a repeat from it BY THE SAME ACCOUNT is answered the
   * same. The id is not a secret (a 409 shows it), so another account sending it is refused.
   */
  deviceId: string;
  /** The staff member or admin scanning. */
  checkedInBy: string;
  /** When given, a ticket of any other concert is refused (`other-concert`). */
  concertId: string | null;
  /** When the door scanned it (an offline scan synced later keeps its own time). */
  scannedAt: Date;
}

/** The ticket as the door sees it. */
export interface DoorTicket {
  code: string;
  concertId: string;
  tierId: string;
  /** The holder's account name. */
  holderName: string;
}

/** The first recorded admission of a ticket: when it was scanned and by which device. */
export interface Admission {
  /** ISO-8601 UTC. */
  at: string;
  deviceId: string;
}

/**
 * What recording a scan did. `admitted`: this device and account hold the ticket's one admission (`firstScan`
 * false for a repeat). `already-checked-in`: another device, or the same device id under another account,
 * was first. Refusals write nothing.
 */
export type CheckInRecord =
  | { kind: 'admitted'; ticket: DoorTicket; admission: Admission; firstScan: boolean }
  | { kind: 'already-checked-in'; ticket: DoorTicket; admission: Admission }
  | { kind: 'not-found' }
  | {
      kind: 'not-valid';
      ticket: DoorTicket;
      reason: 'reservation-cancelled' | 'concert-cancelled' | 'other-concert';
    };

/** Checked in and sold (tickets of confirmed reservations) for one tier. */
export interface TierAttendance {
  tierId: string;
  checkedIn: number;
  sold: number;
}

/** A ticket the door may let in, for the offline list (raw code: the core hashes it before it leaves). */
export interface ValidTicket {
  code: string;
  tierId: string;
  holderName: string;
  /** Already let in when the list was read. */
  checkedIn: boolean;
}

/** Check-ins in PostgreSQL (migration 010). */
export interface CheckInRepository {
  /**
   * Admits the ticket at most once, whoever asks at the same time (one statement on the unique ticket id):
   * every concurrent claim from other devices gets `already-checked-in` with the winner's admission.
   */
  record(claim: CheckInClaim): Promise<CheckInRecord>;
  /** Per tier of the concert (tiers without tickets included, in the concert's order); null: no such concert. */
  attendance(concertId: string): Promise<TierAttendance[] | null>;
  /** The concert's tickets that may be let in (confirmed, concert not cancelled); null: no such concert. */
  validTickets(concertId: string): Promise<ValidTicket[] | null>;
}

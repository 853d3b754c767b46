import type {
  CheckInClaim,
  CheckInRecord,
  CheckInRepository,
  DoorTicket,
  TierAttendance,
  ValidTicket,
} from '../../ports/check-in.repository.port';
import type { SqlDatabase, SqlRow } from '../../ports/sql-database.port';
import { asBoolean, asIsoTime, asNumber, asString } from './sql-values';

/**
 * Check-ins in PostgreSQL (node-postgres, PGlite and the RDS Data API alike). A scan is ONE statement: the
 * ticket is read and its admission inserted on the `check_ins` primary key. `ON CONFLICT DO UPDATE` (a no-op
 * update) instead of `DO NOTHING`: a claim that lost the race to a concurrent one waits for it and gets the
 * winner's row back in RETURNING, which a `DO NOTHING` statement cannot even read (its snapshot predates the
 * winner's commit). `xmax = 0` in RETURNING is true only for the row this statement inserted. A repeat
 * (`admitted`, `firstScan` false) needs the same device id AND the same account (`checked_in_by`).
 */
export class SqlCheckInRepository implements CheckInRepository {
  constructor(private readonly db: SqlDatabase) {}

  async record(claim: CheckInClaim): Promise<CheckInRecord> {
    const rows = await this.db.query(
      `WITH ticket AS (
         SELECT t.id, t.code, t.concert_id, t.tier_id, u.name AS holder_name,
                r.status AS reservation_status, c.status AS concert_status
           FROM tickets t
           JOIN reservations r ON r.id = t.reservation_id
           JOIN concerts c ON c.id = t.concert_id
           JOIN users u ON u.id = t.user_id
          WHERE t.code = $1
       ), claim AS (
         INSERT INTO check_ins (ticket_id, concert_id, tier_id, device_id, checked_in_by, scanned_at)
         SELECT id, concert_id, tier_id, $2::text, $3::uuid, $4::timestamptz FROM ticket
          WHERE reservation_status = 'confirmed' AND concert_status <> 'cancelled'
            AND ($5::text IS NULL OR concert_id::text = $5::text)
         ON CONFLICT (ticket_id) DO UPDATE SET device_id = check_ins.device_id
         RETURNING ticket_id, device_id, checked_in_by, scanned_at, (xmax = 0) AS inserted
       )
       SELECT ticket.code, ticket.concert_id, ticket.tier_id, ticket.holder_name,
              ticket.reservation_status, ticket.concert_status,
              claim.device_id, claim.checked_in_by, claim.scanned_at, claim.inserted
         FROM ticket LEFT JOIN claim ON claim.ticket_id = ticket.id`,
      [claim.code, claim.deviceId, claim.checkedInBy, claim.scannedAt.toISOString(), claim.concertId],
    );
    const row = rows[0];
    if (!row) return { kind: 'not-found' };
    const ticket = toDoorTicket(row);
    if (row.device_id === null || row.device_id === undefined) {
      const reason =
        claim.concertId !== null && ticket.concertId !== claim.concertId
          ? 'other-concert'
          : row.concert_status === 'cancelled'
            ? 'concert-cancelled'
            : 'reservation-cancelled';
      return { kind: 'not-valid', ticket, reason };
    }
    const admission = { at: asIsoTime(row.scanned_at), deviceId: asString(row.device_id) };
    // A repeat is the same device AND the same account: a device id is only what a browser says it is (and
    // a 409 shows it), so another account sending the winner's id is refused like any other device.
    if (admission.deviceId !== claim.deviceId || asString(row.checked_in_by) !== claim.checkedInBy)
      return { kind: 'already-checked-in', ticket, admission };
    return { kind: 'admitted', ticket, admission, firstScan: asBoolean(row.inserted) };
  }

  async attendance(concertId: string): Promise<TierAttendance[] | null> {
    const rows = await this.db.query(
      `SELECT tt.id AS tier_id,
              (SELECT count(*) FROM tickets t JOIN reservations r ON r.id = t.reservation_id
                WHERE t.tier_id = tt.id AND r.status = 'confirmed')::integer AS sold,
              (SELECT count(*) FROM check_ins ci JOIN tickets t ON t.id = ci.ticket_id
                 JOIN reservations r ON r.id = t.reservation_id
                WHERE ci.tier_id = tt.id AND r.status = 'confirmed')::integer AS checked_in
         FROM concerts c LEFT JOIN ticket_tiers tt ON tt.concert_id = c.id
        WHERE c.id = $1
        ORDER BY tt.position`,
      [concertId],
    );
    if (rows.length === 0) return null;
    return rows
      .filter((row) => row.tier_id !== null && row.tier_id !== undefined)
      .map((row) => ({
        tierId: asString(row.tier_id),
        checkedIn: asNumber(row.checked_in),
        sold: asNumber(row.sold),
      }));
  }

  async validTickets(concertId: string): Promise<ValidTicket[] | null> {
    const [concert] = await this.db.query('SELECT status FROM concerts WHERE id = $1', [concertId]);
    if (!concert) return null;
    const rows = await this.db.query(
      `SELECT t.code, t.tier_id, u.name AS holder_name, (ci.ticket_id IS NOT NULL) AS checked_in
         FROM tickets t
         JOIN reservations r ON r.id = t.reservation_id AND r.status = 'confirmed'
         JOIN concerts c ON c.id = t.concert_id AND c.status <> 'cancelled'
         JOIN users u ON u.id = t.user_id
         LEFT JOIN check_ins ci ON ci.ticket_id = t.id
        WHERE t.concert_id = $1
        ORDER BY t.code`,
      [concertId],
    );
    return rows.map((row) => ({
      code: asString(row.code),
      tierId: asString(row.tier_id),
      holderName: asString(row.holder_name),
      checkedIn: asBoolean(row.checked_in),
    }));
  }
}

function toDoorTicket(row: SqlRow): DoorTicket {
  return {
    code: asString(row.code),
    concertId: asString(row.concert_id),
    tierId: asString(row.tier_id),
    holderName: asString(row.holder_name),
  };
}

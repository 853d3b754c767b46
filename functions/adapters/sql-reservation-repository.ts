import type { Reservation, ReservationStatus, Ticket } from '../core/model';
import type {
  CancelOutcome,
  ConfirmOutcome,
  HoldOutcome,
  HoldRequest,
  ReservationRepository,
} from '../ports/reservation.repository.port';
import type { SqlDatabase, SqlRow } from '../ports/sql-database.port';
import { KeyedBatcher } from './keyed-batcher';
import { asBoolean, asIsoTime, asNumber, asString } from './sql-values';

const COLUMNS = `id, user_id, concert_id, tier_id, quantity, total_cents, currency, status, expires_at, created_at,
  (status = 'held' AND expires_at <= now()) AS overdue`;

const DEADLOCK_DETECTED = '40P01';

export interface ReservationRepositoryOptions {
  /**
   * Send concurrent holds as one statement (`reserve_tickets_batch`): one round trip, one commit and one
   * hand-over of a hot tier row per batch instead of per request. Default on.
   */
  batchHolds?: boolean;
  /** Batches in flight at once; a tier always goes to the same lane, so its order is kept. */
  lanes?: number;
}

export class SqlReservationRepository implements ReservationRepository {
  private readonly batcher: KeyedBatcher<HoldRequest, HoldOutcome> | undefined;

  constructor(
    private readonly db: SqlDatabase,
    options: ReservationRepositoryOptions = {},
  ) {
    if (options.batchHolds ?? true) {
      this.batcher = new KeyedBatcher((_tier, requests) =>
        this.retryOnDeadlock(() => this.holdBatch(requests)),
      );
    }
  }

  hold(request: HoldRequest): Promise<HoldOutcome> {
    return this.batcher ? this.batcher.submit(request.tierId, request) : this.holdOne(request);
  }

  private async holdBatch(requests: HoldRequest[]): Promise<HoldOutcome[]> {
    const first = requests[0];
    if (!first) return [];
    const rows = await this.db.query(
      'SELECT * FROM reserve_tickets_batch($1::json, $2::integer, $3::integer, $4::integer)',
      [
        JSON.stringify(
          requests.map((r, n) => ({
            n,
            u: r.userId,
            c: r.concertId,
            t: r.tierId,
            q: r.quantity,
            k: r.idempotencyKey,
          })),
        ),
        first.holdSeconds,
        first.perUserLimit,
        first.activeHoldLimit,
      ],
    );
    const byOrdinal = new Map(rows.map((row) => [asNumber(row.ord), row]));
    return requests.map((request, n) => {
      const row = byOrdinal.get(n);
      if (!row) throw new Error(`reserve_tickets_batch answered no row for request ${n}`);
      return toHoldOutcome(row, request);
    });
  }

  private async holdOne(request: HoldRequest): Promise<HoldOutcome> {
    const [row] = await this.retryOnDeadlock(() =>
      this.db.query(
        `SELECT * FROM reserve_tickets($1::uuid, $2::uuid, $3::uuid, $4::integer, $5::text, $6::integer, $7::integer, $8::integer)`,
        [
          request.userId,
          request.concertId,
          request.tierId,
          request.quantity,
          request.idempotencyKey,
          request.holdSeconds,
          request.perUserLimit,
          request.activeHoldLimit,
        ],
      ),
    );
    if (!row) throw new Error('reserve_tickets returned no row');
    return toHoldOutcome(row, request);
  }

  async confirm(reservationId: string, ownerId: string, ticketCodes: string[]): Promise<ConfirmOutcome> {
    await this.db.query(
      `WITH confirmed AS (
         UPDATE reservations SET status = 'confirmed', confirmed_at = now()
          WHERE id = $1 AND user_id = $2 AND status = 'held' AND expires_at > now()
         RETURNING id, user_id, concert_id, tier_id, quantity
       )
       INSERT INTO tickets (code, reservation_id, user_id, concert_id, tier_id)
       SELECT code.value, c.id, c.user_id, c.concert_id, c.tier_id
         FROM confirmed c, unnest(string_to_array($3, ',')) WITH ORDINALITY AS code(value, n)
        WHERE code.n <= c.quantity`,
      [reservationId, ownerId, ticketCodes.join(',')],
    );
    // Read back: confirmed just now, confirmed by an earlier call (same tickets), or refused.
    const reservation = await this.find(reservationId, ownerId);
    if (!reservation) return { kind: 'not-found' };
    if (reservation.status !== 'confirmed') return { kind: 'refused', reservation };
    const rows = await this.db.query(
      `SELECT id, code, tier_id, concert_id, reservation_id, created_at FROM tickets
        WHERE reservation_id = $1 ORDER BY code`,
      [reservationId],
    );
    return { kind: 'confirmed', reservation, tickets: rows.map(toTicket) };
  }

  async cancel(reservationId: string, ownerId: string | null): Promise<CancelOutcome> {
    const returned = await this.db.query(
      `WITH cancelled AS (
         UPDATE reservations SET status = 'cancelled', cancelled_at = now()
          WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2::uuid) AND status = 'held' AND expires_at > now()
         RETURNING tier_id, quantity
       )
       UPDATE ticket_tiers t SET available = t.available + c.quantity, version = t.version + 1
         FROM cancelled c WHERE t.id = c.tier_id RETURNING t.id`,
      [reservationId, ownerId],
    );
    const reservation = await this.find(reservationId, ownerId);
    if (!reservation) return { kind: 'not-found' };
    return reservation.status === 'cancelled'
      ? { kind: 'cancelled', reservation, changed: returned.length > 0 }
      : { kind: 'refused', reservation };
  }

  async find(reservationId: string, ownerId: string | null): Promise<Reservation | null> {
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM reservations WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2::uuid)`,
      [reservationId, ownerId],
    );
    return rows[0] ? toReservation(rows[0]) : null;
  }

  async listByUser(userId: string): Promise<Reservation[]> {
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM reservations WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT 500`,
      [userId],
    );
    return rows.map(toReservation);
  }

  async listTicketsByUser(userId: string): Promise<Ticket[]> {
    const rows = await this.db.query(
      `SELECT id, code, tier_id, concert_id, reservation_id, created_at FROM tickets
        WHERE user_id = $1 ORDER BY created_at DESC, code LIMIT 1000`,
      [userId],
    );
    return rows.map(toTicket);
  }

  // Releasing overdue holds locks several rows; two releasers can rarely cross. PostgreSQL aborts one,
  // which is safe to run again: the statement is atomic and idempotent by its Idempotency-Key.
  private async retryOnDeadlock<T>(attempt: () => Promise<T>, tries = 3): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (error) {
        if (i >= tries || (error as { code?: unknown } | null)?.code !== DEADLOCK_DETECTED) throw error;
      }
    }
  }
}

/** A tier's lane: stable across processes, so every replica orders a tier's requests the same way. */
function laneOf(tierId: string, lanes: number): string {
  let hash = 0;
  for (let i = 0; i < tierId.length; i++) hash = (hash * 31 + tierId.charCodeAt(i)) | 0;
  return String(Math.abs(hash) % lanes);
}

function toHoldOutcome(row: SqlRow, request: HoldRequest): HoldOutcome {
  const outcome = asString(row.outcome);
  const detail = row.detail === null ? 0 : asNumber(row.detail);
  switch (outcome) {
    case 'created':
      return { kind: outcome, reservation: toReservation(row), tierAvailableAfter: detail };
    case 'existing':
      return { kind: outcome, reservation: toReservation(row) };
    case 'not-found':
    case 'not-on-sale':
    case 'sold-out':
      return { kind: outcome };
    case 'order-limit':
      return { kind: outcome, maxPerOrder: detail };
    case 'user-limit':
      return { kind: outcome, limit: request.perUserLimit, current: detail };
    case 'hold-limit':
      return { kind: outcome, limit: request.activeHoldLimit, current: detail };
    case 'insufficient':
      return { kind: outcome, available: detail };
    default:
      throw new Error(`reserve_tickets answered an unknown outcome: ${outcome}`);
  }
}

function toReservation(row: SqlRow): Reservation {
  const stored = asString(row.status) as ReservationStatus;
  return {
    id: asString(row.id),
    userId: asString(row.user_id),
    status: stored === 'held' && asBoolean(row.overdue) ? 'expired' : stored,
    concertId: asString(row.concert_id),
    tierId: asString(row.tier_id),
    quantity: asNumber(row.quantity),
    totalCents: asNumber(row.total_cents),
    currency: asString(row.currency),
    expiresAt: asIsoTime(row.expires_at),
    createdAt: asIsoTime(row.created_at),
  };
}

function toTicket(row: SqlRow): Ticket {
  return {
    id: asString(row.id),
    code: asString(row.code),
    tierId: asString(row.tier_id),
    concertId: asString(row.concert_id),
    reservationId: asString(row.reservation_id),
    createdAt: asIsoTime(row.created_at),
  };
}

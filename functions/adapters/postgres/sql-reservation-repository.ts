import { TicketingError } from '../../core/errors';
import type { Reservation, ReservationStatus, Ticket } from '../../core/model';
import type {
  CancelOutcome,
  ConfirmOutcome,
  HoldOutcome,
  HoldRequest,
  ReservationRepository,
} from '../../ports/reservation.repository.port';
import type { SqlDatabase, SqlRow } from '../../ports/sql-database.port';
import { KeyedBatcher, type MemberResult } from './keyed-batcher';
import { asBoolean, asIsoTime, asNumber, asString } from './sql-values';

const COLUMNS = `id, user_id, concert_id, tier_id, quantity, total_cents, currency, status, expires_at, created_at,
  (status = 'held' AND expires_at <= now()) AS overdue`;

const DEADLOCK_DETECTED = '40P01';
const SERIALIZATION_FAILURE = '40001';
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Hold batches in flight at once per process. Each is one statement on one pooled connection: with a batch
 * per tier, 100 concerts on sale made up to 100 small statements (one commit each) queueing for 8
 * connections, a third of one hot tier's rate (issue 19).
 */
const DEFAULT_LANES = 4;

export interface ReservationRepositoryOptions {
  /**
   * Send concurrent holds as one statement (`reserve_tickets_batch`): one round trip, one commit and one
   * hand-over of a hot tier row per batch instead of per request. Default on.
   */
  batchHolds?: boolean;
  /** Batches in flight at once (default 4); a tier always goes to the same lane, so its order is kept. */
  lanes?: number;
}

export class SqlReservationRepository implements ReservationRepository {
  private readonly batcher: KeyedBatcher<HoldRequest, HoldOutcome> | undefined;
  private readonly lanes: number;

  constructor(
    private readonly db: SqlDatabase,
    options: ReservationRepositoryOptions = {},
  ) {
    this.lanes = options.lanes ?? DEFAULT_LANES;
    if (options.batchHolds ?? true) {
      this.batcher = new KeyedBatcher((_lane, requests) => this.holdBatch(requests));
    }
  }

  /** Batched by lane, not by tier: 100 tiers on sale at once make a few large batches, not 100 small ones. */
  hold(request: HoldRequest): Promise<HoldOutcome> {
    return this.batcher
      ? this.batcher.submit(laneOf(request.tierId, this.lanes), request)
      : this.holdOne(request);
  }

  /**
   * One statement for the whole batch; members never fail each other. The fast mode runs all members in
   * one transaction without a subtransaction each; if it raises (one member's foreign key, check
   * constraint, bad value...), its transaction rolled back whole and the batch runs once more in the
   * isolating mode, where a raising member answers alone. Should even that raise, each member runs on
   * its own. An unreachable database (503) fails them all alike: there is nothing to isolate.
   */
  private async holdBatch(requests: HoldRequest[]): Promise<Array<MemberResult<HoldOutcome>>> {
    if (requests.length === 0) return [];
    try {
      return await this.retryOnDeadlock(() => this.runBatch(requests, false));
    } catch (error) {
      if (error instanceof TicketingError) throw error;
    }
    try {
      return await this.retryOnDeadlock(() => this.runBatch(requests, true));
    } catch (error) {
      if (error instanceof TicketingError) throw error;
    }
    return Promise.all(requests.map((request) => settle(this.holdOne(request))));
  }

  private async runBatch(
    requests: HoldRequest[],
    isolate: boolean,
  ): Promise<Array<MemberResult<HoldOutcome>>> {
    const first = requests[0] as HoldRequest;
    const rows = await this.db.query(
      'SELECT * FROM reserve_tickets_batch($1::json, $2::integer, $3::integer, $4::integer, $5::boolean)',
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
        isolate,
      ],
    );
    const byOrdinal = new Map(rows.map((row) => [asNumber(row.ord), row]));
    return Promise.all(
      requests.map(async (request, n): Promise<MemberResult<HoldOutcome>> => {
        const row = byOrdinal.get(n);
        if (!row)
          return { ok: false, error: new Error(`reserve_tickets_batch answered no row for request ${n}`) };
        if (row.outcome !== 'failed')
          return settle(Promise.resolve().then(() => toHoldOutcome(row, request)));
        // A lost deadlock or serialization race is worth one more try alone; anything else is this
        // member's own failure, reported to it alone.
        const state = String(row.failure ?? '').slice(0, 5);
        if (state === DEADLOCK_DETECTED || state === SERIALIZATION_FAILURE)
          return settle(this.holdOne(request));
        return {
          ok: false,
          error: Object.assign(new Error(`reserve_tickets_batch member failed: ${String(row.failure)}`), {
            code: state,
          }),
        };
      }),
    );
  }

  private async holdOne(request: HoldRequest): Promise<HoldOutcome> {
    let rows: SqlRow[];
    try {
      rows = await this.retryOnDeadlock(() =>
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
    } catch (error) {
      // The user row was deleted between reserve_one's check and its insert.
      if (isForeignKeyViolation(error, 'reservations_user_id_fkey')) return { kind: 'user-gone' };
      throw error;
    }
    const [row] = rows;
    if (!row) throw new Error('reserve_tickets returned no row');
    return toHoldOutcome(row, request);
  }

  async confirm(reservationId: string, ownerId: string, ticketCodes: string[]): Promise<ConfirmOutcome> {
    const [row] = await this.retryOnDeadlock(() =>
      this.db.query('SELECT outcome, changed FROM confirm_reservation($1::uuid, $2::uuid, $3::text)', [
        reservationId,
        ownerId,
        ticketCodes.join(','),
      ]),
    );
    const outcome = asString(row?.outcome);
    if (outcome === 'not-found') return { kind: 'not-found' };
    if (outcome === 'not-on-sale') return { kind: 'not-on-sale' };
    const reservation = await this.find(reservationId, ownerId);
    if (!reservation) return { kind: 'not-found' };
    if (outcome !== 'confirmed' || reservation.status !== 'confirmed')
      return { kind: 'refused', reservation };
    const rows = await this.db.query(
      `SELECT id, code, tier_id, concert_id, reservation_id, created_at FROM tickets
        WHERE reservation_id = $1 ORDER BY code`,
      [reservationId],
    );
    return { kind: 'confirmed', reservation, tickets: rows.map(toTicket), changed: asBoolean(row?.changed) };
  }

  async cancel(reservationId: string, ownerId: string | null): Promise<CancelOutcome> {
    // cancel_reservation (migration 011) locks concert, tier, then the hold (the sale path's order); the
    // tier's release trigger offers the tickets to its waiting list in the same transaction.
    const [row] = await this.retryOnDeadlock(() =>
      this.db.query('SELECT changed FROM cancel_reservation($1::uuid, $2::uuid)', [reservationId, ownerId]),
    );
    const reservation = await this.find(reservationId, ownerId);
    if (!reservation) return { kind: 'not-found' };
    return reservation.status === 'cancelled'
      ? { kind: 'cancelled', reservation, changed: asBoolean(row?.changed) }
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

function settle<T>(promise: Promise<T>): Promise<MemberResult<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/**
 * SQLSTATE 23503 on the named constraint. The Data API reports no SQLSTATE, only PostgreSQL's message,
 * which names the constraint on every driver.
 */
function isForeignKeyViolation(error: unknown, constraint: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === undefined || code === FOREIGN_KEY_VIOLATION) &&
    typeof message === 'string' &&
    message.includes(`violates foreign key constraint "${constraint}"`)
  );
}

function toHoldOutcome(row: SqlRow, request: HoldRequest): HoldOutcome {
  const outcome = asString(row.outcome);
  const detail = row.detail === null ? 0 : asNumber(row.detail);
  switch (outcome) {
    case 'created':
      return {
        kind: outcome,
        reservation: toReservation(row),
        tierAvailableAfter: detail,
        // Batches answer it (migration 013); the one-request statement does not.
        ...(row.tier_version === null || row.tier_version === undefined
          ? {}
          : { tierVersionAfter: asNumber(row.tier_version) }),
      };
    case 'existing':
      return { kind: outcome, reservation: toReservation(row) };
    case 'not-found':
    case 'not-on-sale':
    case 'sold-out':
    case 'key-reused':
    case 'user-gone':
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

/** A `reservations` row (with the computed `overdue` column) as the core's Reservation. */
export function toReservation(row: SqlRow): Reservation {
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

/** A tier's lane: stable across processes, so every replica orders a tier's requests the same way. */
function laneOf(tierId: string, lanes: number): string {
  let hash = 0;
  for (let i = 0; i < tierId.length; i++) hash = (hash * 31 + tierId.charCodeAt(i)) | 0;
  return String(Math.abs(hash) % lanes);
}

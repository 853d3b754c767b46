import { cancellationEmails } from '../../core/concert-cancellation';
import { CONCERT_LIMITS } from '../../core/concert-limits';
import type { Concert, ConcertStatus, WaitingRoomSettings } from '../../core/model';
import type {
  CancelledHolder,
  ChangeEffects,
  ConcertChange,
  ConcertRepository,
  ConcertUpdateOutcome,
  NewConcert,
  NewTier,
  TimedConcert,
  TimedConcertReads,
} from '../../ports/concert.repository.port';
import type { SqlDatabase, SqlExecutor, SqlRow } from '../../ports/sql-database.port';
import { enqueueEmails } from './sql-outbox-repository';
import { asBoolean, asIsoTime, asNumber, asString } from './sql-values';

// Overdue holds are added back to `available` here, so readers see them free before any sweep; the
// earliest end of a live hold says until when the answer stays true without any write (the read cache).
// While anyone waits on a tier's waiting list (migration 011), its free tickets are owed to the list: the
// open market sees 0.
const SELECT_CONCERTS = `
  SELECT c.id, c.title, c.artist, c.venue, c.starts_at, c.status, c.on_sale_at, c.waiting_room_enabled,
         c.admission_per_minute, c.admission_window_seconds, c.queue_paused,
         t.id AS tier_id, t.name AS tier_name, t.price_cents, t.currency, t.capacity, t.max_per_order,
         t.version,
         CASE WHEN EXISTS (SELECT 1 FROM waitlist_entries w WHERE w.tier_id = t.id AND w.status = 'waiting')
              THEN 0 ELSE t.available + coalesce(o.overdue, 0) END AS available,
         n.next_expiry
    FROM concerts c
    LEFT JOIN ticket_tiers t ON t.concert_id = c.id
    LEFT JOIN LATERAL (
      SELECT sum(r.quantity) AS overdue FROM reservations r
       WHERE r.tier_id = t.id AND r.status = 'held' AND r.expires_at <= now()
    ) o ON true
    LEFT JOIN LATERAL (
      SELECT min(r.expires_at) AS next_expiry FROM reservations r
       WHERE r.tier_id = t.id AND r.status = 'held' AND r.expires_at > now()
    ) n ON true`;

/** What the repository applies when a caller passes no effects: the limits and mails of the core. */
const DEFAULT_EFFECTS: ChangeEffects = {
  maxTiersPerConcert: CONCERT_LIMITS.maxTiersPerConcert,
  cancellationEmails,
};

/** Thrown inside a transaction callback so the driver rolls it back; carries the answer to return. */
class RefusedChange extends Error {
  constructor(readonly outcome: ConcertUpdateOutcome) {
    super(`concert change refused: ${outcome.kind}`);
  }
}

const UNIQUE_VIOLATION = '23505';

export class SqlConcertRepository implements ConcertRepository, TimedConcertReads {
  constructor(private readonly db: SqlDatabase) {}

  async list(): Promise<Concert[]> {
    return (await this.listTimed()).map((timed) => timed.concert);
  }

  async get(id: string): Promise<Concert | null> {
    return getConcert(this.db, id);
  }

  async listTimed(): Promise<TimedConcert[]> {
    return toTimedConcerts(await this.db.query(`${SELECT_CONCERTS} ORDER BY c.starts_at, c.id, t.position`));
  }

  async getTimed(id: string): Promise<TimedConcert | null> {
    return getTimedConcert(this.db, id);
  }

  async insert(concert: NewConcert): Promise<Concert | null> {
    try {
      const rows = await this.db.query(
        `WITH c AS (
           INSERT INTO concerts (title, artist, venue, starts_at, status, on_sale_at, waiting_room_enabled,
                                 admission_per_minute, admission_window_seconds, queue_paused)
           VALUES ($1, $2, $3, $4::timestamptz, $5, $7::timestamptz, $8::boolean, $9::integer,
                   coalesce($10::integer, 600), coalesce($11::boolean, false)) RETURNING id
         ), t AS (
           INSERT INTO ticket_tiers (concert_id, position, name, price_cents, currency, capacity, available, max_per_order)
           SELECT c.id, x.position, x.name, x.price_cents, x.currency, x.capacity, x.capacity, x.max_per_order
             FROM c, json_to_recordset($6::json)
                  AS x(position integer, name text, price_cents integer, currency text, capacity integer, max_per_order integer)
           RETURNING id
         )
         SELECT id FROM c`,
        [
          concert.title,
          concert.artist,
          concert.venue,
          concert.startsAt,
          concert.status,
          tiersJson(concert.tiers, 0),
          concert.onSaleAt ?? null,
          concert.waitingRoom ? concert.waitingRoom.enabled : null,
          perMinuteColumn(concert.waitingRoom?.admissionPerMinute),
          concert.waitingRoom?.admissionWindowSeconds ?? null,
          concert.waitingRoom?.paused ?? null,
        ],
      );
      const id = rows[0] ? asString(rows[0].id) : null;
      return id ? getConcert(this.db, id) : null;
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async update(
    id: string,
    change: ConcertChange,
    effects: ChangeEffects = DEFAULT_EFFECTS,
  ): Promise<ConcertUpdateOutcome> {
    try {
      return await this.db.transaction(async (tx) => {
        // Every refusal below is thrown, never returned: a returned value would commit what came before it.
        const [current] = await tx.query('SELECT status FROM concerts WHERE id = $1 FOR UPDATE', [id]);
        if (!current) throw new RefusedChange({ kind: 'not-found' });
        const wasCancelled = asString(current.status) === 'cancelled';
        if (wasCancelled && change.status !== undefined && change.status !== 'cancelled') {
          throw new RefusedChange({ kind: 'cancelled-is-final' });
        }
        await tx.query(
          `UPDATE concerts SET title = coalesce($2, title), artist = coalesce($3, artist),
                  venue = coalesce($4, venue), starts_at = coalesce($5::timestamptz, starts_at),
                  status = coalesce($6, status),
                  on_sale_at = CASE WHEN $7::boolean THEN $8::timestamptz ELSE on_sale_at END,
                  waiting_room_enabled = coalesce($9::boolean, CASE WHEN $10::boolean
                    THEN coalesce(waiting_room_enabled, false) ELSE waiting_room_enabled END),
                  admission_per_minute = CASE WHEN $11::boolean THEN $12::integer ELSE admission_per_minute END,
                  admission_window_seconds = coalesce($13::integer, admission_window_seconds),
                  queue_paused = coalesce($14::boolean, queue_paused), updated_at = now()
            WHERE id = $1`,
          [
            id,
            change.title ?? null,
            change.artist ?? null,
            change.venue ?? null,
            change.startsAt ?? null,
            change.status ?? null,
            change.onSaleAt !== undefined,
            change.onSaleAt ?? null,
            change.waitingRoom?.enabled ?? null,
            change.waitingRoom !== undefined,
            change.waitingRoom?.admissionPerMinute !== undefined,
            perMinuteColumn(change.waitingRoom?.admissionPerMinute),
            change.waitingRoom?.admissionWindowSeconds ?? null,
            change.waitingRoom?.paused ?? null,
          ],
        );
        const ended = change.status === 'cancelled' && !wasCancelled ? await endSales(tx, id) : undefined;
        const statusMoved = change.status !== undefined && change.status !== asString(current.status);
        // The on-sale time and the waiting room are part of the public Concert: watchers hear of them too.
        const saleMoved = change.onSaleAt !== undefined || change.waitingRoom !== undefined;
        if (!ended && (statusMoved || saleMoved)) {
          // A pause or a resume is news to watchers too (`status` rides in concert-update): every tier moves
          // on, so the concert's version grows and no replica drops the update as stale.
          await tx.query('UPDATE ticket_tiers SET version = version + 1 WHERE concert_id = $1', [id]);
        }
        for (const tier of change.tierChanges) {
          const refused = await updateTier(tx, id, tier);
          if (refused) throw new RefusedChange(refused);
        }
        if (change.newTiers.length > 0) {
          const [next] = await tx.query(
            'SELECT coalesce(max(position), 0) AS position, count(*) AS tiers FROM ticket_tiers WHERE concert_id = $1',
            [id],
          );
          const total = asNumber(next?.tiers ?? 0) + change.newTiers.length;
          if (total > effects.maxTiersPerConcert) {
            throw new RefusedChange({ kind: 'too-many-tiers', max: effects.maxTiersPerConcert, total });
          }
          await tx.query(
            `INSERT INTO ticket_tiers (concert_id, position, name, price_cents, currency, capacity, available, max_per_order)
             SELECT $1, x.position, x.name, x.price_cents, x.currency, x.capacity, x.capacity, x.max_per_order
               FROM json_to_recordset($2::json)
                    AS x(position integer, name text, price_cents integer, currency text, capacity integer, max_per_order integer)`,
            [id, tiersJson(change.newTiers, asNumber(next?.position ?? 0))],
          );
        }
        const concert = await getConcert(tx, id);
        if (!concert) throw new RefusedChange({ kind: 'not-found' });
        if (!ended) return { kind: 'updated', concert } as const;
        await enqueueEmails(tx, effects.cancellationEmails(concert, ended.holders));
        return { kind: 'updated', concert, cancelled: ended } as const;
      });
    } catch (error) {
      if (error instanceof RefusedChange) return error.outcome;
      if (isUniqueViolation(error)) return { kind: 'duplicate-tier-name', name: '' };
      throw error;
    }
  }
}

/**
 * Ends every sale of a concert being cancelled, inside its transaction: overdue holds become `expired`,
 * live holds and confirmed reservations `cancelled`, and their tickets go back to `available`, so
 * `available = capacity - (live holds + confirmed)` still holds. Answers whom it affected.
 */
async function endSales(
  tx: SqlExecutor,
  concertId: string,
): Promise<{ holders: CancelledHolder[]; releasedHolds: number; voidedReservations: number }> {
  const rows = await tx.query(
    `WITH ended AS (
       UPDATE reservations r
          SET status = CASE WHEN r.status = 'held' AND r.expires_at <= now() THEN 'expired' ELSE 'cancelled' END,
              expired_at = CASE WHEN r.status = 'held' AND r.expires_at <= now() THEN now() ELSE r.expired_at END,
              cancelled_at = CASE WHEN r.status = 'held' AND r.expires_at <= now() THEN r.cancelled_at ELSE now() END
        WHERE r.concert_id = $1 AND r.status IN ('held', 'confirmed')
       RETURNING r.user_id, r.tier_id, r.quantity, r.total_cents, r.currency, r.status,
                 r.confirmed_at IS NOT NULL AS was_confirmed
     ), freed AS (
       UPDATE ticket_tiers t SET available = t.available + f.quantity, version = t.version + 1
         FROM (SELECT e.tier_id, sum(e.quantity)::integer AS quantity FROM ended e GROUP BY e.tier_id) f
        WHERE t.id = f.tier_id
       RETURNING t.id
     ), touched AS (
       -- Every tier of the concert moves on, so each watcher's next update is newer than what it holds.
       UPDATE ticket_tiers t SET version = t.version + 1
        WHERE t.concert_id = $1 AND t.id NOT IN (SELECT e.tier_id FROM ended e)
       RETURNING t.id
     )
     SELECT e.user_id, u.email, u.name, e.status, e.was_confirmed, e.quantity, e.total_cents, e.currency,
            (SELECT count(*) FROM freed) + (SELECT count(*) FROM touched) AS tiers
       FROM ended e JOIN users u ON u.id = e.user_id
      ORDER BY e.user_id`,
    [concertId],
  );
  const holders = new Map<string, CancelledHolder>();
  let releasedHolds = 0;
  let voidedReservations = 0;
  for (const row of rows) {
    if (asString(row.status) !== 'cancelled') continue; // an overdue hold: already over, nobody to tell
    const userId = asString(row.user_id);
    let holder = holders.get(userId);
    if (!holder) {
      holder = {
        userId,
        email: asString(row.email),
        name: asString(row.name),
        heldTickets: 0,
        confirmedTickets: 0,
        refunds: [],
      };
      holders.set(userId, holder);
    }
    const quantity = asNumber(row.quantity);
    if (asBoolean(row.was_confirmed)) {
      voidedReservations++;
      holder.confirmedTickets += quantity;
      const currency = asString(row.currency);
      const refund = holder.refunds.find((r) => r.currency === currency);
      if (refund) refund.cents += asNumber(row.total_cents);
      else holder.refunds.push({ currency, cents: asNumber(row.total_cents) });
    } else {
      releasedHolds++;
      holder.heldTickets += quantity;
    }
  }
  return { holders: [...holders.values()], releasedHolds, voidedReservations };
}

async function updateTier(
  tx: SqlExecutor,
  concertId: string,
  tier: ConcertChange['tierChanges'][number],
): Promise<ConcertUpdateOutcome | null> {
  if (tier.capacity !== undefined) {
    await tx.query('SELECT released FROM release_overdue_holds($1::uuid)', [tier.id]);
  }
  const updated = await tx.query(
    `UPDATE ticket_tiers SET name = coalesce($3, name), price_cents = coalesce($4, price_cents),
            max_per_order = coalesce($5, max_per_order), capacity = coalesce($6, capacity),
            available = available + coalesce($6, capacity) - capacity, version = version + 1
      WHERE id = $1 AND concert_id = $2 AND available + coalesce($6, capacity) - capacity >= 0
      RETURNING id`,
    [
      tier.id,
      concertId,
      tier.name ?? null,
      tier.priceCents ?? null,
      tier.maxPerOrder ?? null,
      tier.capacity ?? null,
    ],
  );
  if (updated[0]) return null;
  const [existing] = await tx.query(
    'SELECT capacity - available AS booked FROM ticket_tiers WHERE id = $1 AND concert_id = $2',
    [tier.id, concertId],
  );
  return existing
    ? { kind: 'capacity-below-booked', tierId: tier.id, booked: asNumber(existing.booked) }
    : { kind: 'unknown-tier', tierId: tier.id };
}

async function getConcert(db: SqlExecutor, id: string): Promise<Concert | null> {
  return (await getTimedConcert(db, id))?.concert ?? null;
}

async function getTimedConcert(db: SqlExecutor, id: string): Promise<TimedConcert | null> {
  const rows = await db.query(`${SELECT_CONCERTS} WHERE c.id = $1 ORDER BY t.position`, [id]);
  return toTimedConcerts(rows)[0] ?? null;
}

function tiersJson(tiers: NewTier[], firstPosition: number): string {
  return JSON.stringify(
    tiers.map((tier, index) => ({
      position: firstPosition + index + 1,
      name: tier.name,
      price_cents: tier.priceCents,
      currency: tier.currency,
      capacity: tier.capacity,
      max_per_order: tier.maxPerOrder,
    })),
  );
}

/** `auto` is stored as null; a number as itself; nothing given stays null too (the caller says so). */
function perMinuteColumn(value: WaitingRoomSettings['admissionPerMinute'] | undefined): number | null {
  return typeof value === 'number' ? value : null;
}

/** The waiting room as stored; undefined when never configured (`waiting_room_enabled` null). */
function waitingRoomOf(row: SqlRow): WaitingRoomSettings | undefined {
  if (row.waiting_room_enabled === null || row.waiting_room_enabled === undefined) return undefined;
  const perMinute = row.admission_per_minute;
  return {
    enabled: asBoolean(row.waiting_room_enabled),
    admissionPerMinute: perMinute === null || perMinute === undefined ? 'auto' : asNumber(perMinute),
    admissionWindowSeconds: asNumber(row.admission_window_seconds),
    paused: asBoolean(row.queue_paused),
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
}

function toTimedConcerts(rows: SqlRow[]): TimedConcert[] {
  const byId = new Map<string, TimedConcert>();
  for (const row of rows) {
    const id = asString(row.id);
    let timed = byId.get(id);
    if (!timed) {
      const concert: Concert = {
        id,
        title: asString(row.title),
        artist: asString(row.artist),
        venue: asString(row.venue),
        startsAt: asIsoTime(row.starts_at),
        status: asString(row.status) as ConcertStatus,
        availableTickets: 0,
        totalBooked: 0,
        tiers: [],
        version: 0,
      };
      if (row.on_sale_at !== null && row.on_sale_at !== undefined)
        concert.onSaleAt = asIsoTime(row.on_sale_at);
      const waitingRoom = waitingRoomOf(row);
      if (waitingRoom) concert.waitingRoom = waitingRoom;
      timed = { concert, nextExpiryAt: null };
      byId.set(id, timed);
    }
    const { concert } = timed;
    if (row.tier_id === null || row.tier_id === undefined) continue;
    if (row.next_expiry !== null && row.next_expiry !== undefined) {
      const at = Date.parse(asIsoTime(row.next_expiry));
      if (timed.nextExpiryAt === null || at < timed.nextExpiryAt) timed.nextExpiryAt = at;
    }
    const tier = {
      id: asString(row.tier_id),
      name: asString(row.tier_name),
      priceCents: asNumber(row.price_cents),
      currency: asString(row.currency),
      capacity: asNumber(row.capacity),
      available: asNumber(row.available),
      maxPerOrder: asNumber(row.max_per_order),
      version: asNumber(row.version),
    };
    concert.tiers.push(tier);
    concert.availableTickets += tier.available;
    concert.totalBooked += tier.capacity - tier.available;
    concert.version += tier.version;
  }
  return [...byId.values()];
}

import type { QueuedEmail } from '../../ports/outbox.repository.port';
import type { SqlDatabase, SqlExecutor, SqlRow } from '../../ports/sql-database.port';
import type {
  JoinOutcome,
  JoinRequest,
  PendingOffer,
  WaitlistEntry,
  WaitlistRepository,
  WaitlistStatus,
  WaitlistTierStats,
} from '../../ports/waitlist.repository.port';
import { enqueueEmails } from './sql-outbox-repository';
import { toReservation } from './sql-reservation-repository';
import { asIsoTime, asNumber, asString } from './sql-values';

const DEADLOCK_DETECTED = '40P01';

// An entry with its status as of now (waitlist_status), its place while it waits, and its offer's hold
// (columns prefixed r_, read through toReservation).
const SELECT_ENTRIES = `
  SELECT e.id, e.concert_id, e.tier_id, e.user_id, e.quantity, e.created_at,
         waitlist_status(e.status, r.status, r.expires_at) AS status,
         CASE WHEN e.status = 'waiting' THEN
           (SELECT count(*) FROM waitlist_entries w
             WHERE w.tier_id = e.tier_id AND w.status = 'waiting' AND w.seq <= e.seq) END AS position,
         r.id AS r_id, r.user_id AS r_user_id, r.concert_id AS r_concert_id, r.tier_id AS r_tier_id,
         r.quantity AS r_quantity, r.total_cents AS r_total_cents, r.currency AS r_currency,
         r.status AS r_status, r.expires_at AS r_expires_at, r.created_at AS r_created_at,
         (r.status = 'held' AND r.expires_at <= now()) AS r_overdue
    FROM waitlist_entries e LEFT JOIN reservations r ON r.id = e.reservation_id`;

/**
 * Waiting lists in `waitlist_entries` (migration 011) on any SqlDatabase. Joining, leaving and every offer
 * are SQL functions of that migration; offers are made by the tier's release trigger, in the transaction
 * that gives tickets back.
 */
export class SqlWaitlistRepository implements WaitlistRepository {
  constructor(private readonly db: SqlDatabase) {}

  async join(request: JoinRequest): Promise<JoinOutcome> {
    const [row] = await retryOnDeadlock(() =>
      this.db.query(
        `SELECT outcome, detail, entry_id
           FROM waitlist_join($1::uuid, $2::uuid, $3::uuid, $4::integer, $5::integer, $6::integer)`,
        [
          request.userId,
          request.concertId,
          request.tierId,
          request.quantity,
          request.perUserLimit,
          request.offerSeconds,
        ],
      ),
    );
    const outcome = asString(row?.outcome);
    const detail = row?.detail === null || row?.detail === undefined ? 0 : asNumber(row.detail);
    switch (outcome) {
      case 'created':
      case 'existing': {
        const entry = await findEntry(this.db, asString(row?.entry_id));
        if (!entry) throw new Error(`waitlist_join answered ${outcome} for an entry that cannot be read`);
        return { kind: outcome, entry };
      }
      case 'not-found':
      case 'not-on-sale':
      case 'user-gone':
        return { kind: outcome };
      case 'order-limit':
        return { kind: outcome, maxPerOrder: detail };
      case 'user-limit':
        return { kind: outcome, limit: request.perUserLimit, current: detail };
      case 'tier-available':
        return { kind: outcome, available: detail };
      default:
        throw new Error(`waitlist_join answered an unknown outcome: ${outcome}`);
    }
  }

  async leave(userId: string, concertId: string, tierId: string): Promise<WaitlistEntry | null> {
    const [row] = await retryOnDeadlock(() =>
      this.db.query('SELECT outcome, entry_id FROM waitlist_leave($1::uuid, $2::uuid, $3::uuid)', [
        userId,
        concertId,
        tierId,
      ]),
    );
    if (asString(row?.outcome) !== 'left') return null;
    return findEntry(this.db, asString(row?.entry_id));
  }

  async listByUser(userId: string): Promise<WaitlistEntry[]> {
    const rows = await this.db.query(
      `${SELECT_ENTRIES} WHERE e.user_id = $1 ORDER BY e.created_at DESC, e.seq DESC LIMIT 200`,
      [userId],
    );
    return rows.map(toEntry);
  }

  async stats(concertId: string): Promise<WaitlistTierStats[] | null> {
    const rows = await this.db.query(
      `SELECT t.id AS tier_id, s.status, count(s.id) AS entries, coalesce(sum(s.quantity), 0) AS tickets,
              count(s.reservation_id) AS offers
         FROM concerts c
         LEFT JOIN ticket_tiers t ON t.concert_id = c.id
         LEFT JOIN LATERAL (
           SELECT e.id, e.quantity, e.reservation_id, waitlist_status(e.status, r.status, r.expires_at) AS status
             FROM waitlist_entries e LEFT JOIN reservations r ON r.id = e.reservation_id
            WHERE e.tier_id = t.id
         ) s ON true
        WHERE c.id = $1
        GROUP BY t.id, t.position, s.status
        ORDER BY t.position, s.status`,
      [concertId],
    );
    if (rows.length === 0) return null;
    const byTier = new Map<string, WaitlistTierStats>();
    for (const row of rows) {
      if (row.tier_id === null || row.tier_id === undefined) continue;
      const tierId = asString(row.tier_id);
      let tier = byTier.get(tierId);
      if (!tier) {
        tier = {
          tierId,
          waiting: 0,
          waitingTickets: 0,
          offered: 0,
          offersMade: 0,
          claimed: 0,
          expired: 0,
          left: 0,
        };
        byTier.set(tierId, tier);
      }
      if (row.status === null || row.status === undefined) continue;
      const status = asString(row.status) as WaitlistStatus;
      const entries = asNumber(row.entries);
      tier.offersMade += asNumber(row.offers);
      if (status === 'waiting') {
        tier.waiting = entries;
        tier.waitingTickets = asNumber(row.tickets);
      } else {
        tier[status] = entries;
      }
    }
    return [...byTier.values()];
  }

  async announceOffers(
    limit: number,
    emails: (offers: PendingOffer[]) => QueuedEmail[],
  ): Promise<PendingOffer[]> {
    return this.db.transaction(async (tx) => {
      // SKIP LOCKED: a second announcer takes other offers instead of waiting to find these taken.
      const rows = await tx.query(
        `SELECT e.id AS entry_id, u.email, u.name, c.title, t.name AS tier_name,
                r.id, r.user_id, r.concert_id, r.tier_id, r.quantity, r.total_cents, r.currency, r.status,
                r.expires_at, r.created_at, (r.status = 'held' AND r.expires_at <= now()) AS overdue
           FROM waitlist_entries e
           JOIN reservations r ON r.id = e.reservation_id
           JOIN users u ON u.id = e.user_id
           JOIN ticket_tiers t ON t.id = e.tier_id
           JOIN concerts c ON c.id = e.concert_id
          WHERE e.reservation_id IS NOT NULL AND e.announced_at IS NULL
          ORDER BY e.offered_at
          LIMIT $1
          FOR UPDATE OF e SKIP LOCKED`,
        [limit],
      );
      const offers = rows.map(
        (row): PendingOffer => ({
          entryId: asString(row.entry_id),
          userId: asString(row.user_id),
          email: asString(row.email),
          name: asString(row.name),
          concertTitle: asString(row.title),
          tierName: asString(row.tier_name),
          reservation: toReservation(row),
        }),
      );
      if (offers.length === 0) return offers;
      await enqueueEmails(tx, emails(offers));
      await tx.query(
        `UPDATE waitlist_entries SET announced_at = now()
          WHERE id IN (SELECT value::uuid FROM json_array_elements_text($1::json))`,
        [JSON.stringify(offers.map((offer) => offer.entryId))],
      );
      return offers;
    });
  }
}

async function findEntry(db: SqlExecutor, id: string): Promise<WaitlistEntry | null> {
  const [row] = await db.query(`${SELECT_ENTRIES} WHERE e.id = $1`, [id]);
  return row ? toEntry(row) : null;
}

function toEntry(row: SqlRow): WaitlistEntry {
  const hasOffer = row.r_id !== null && row.r_id !== undefined;
  return {
    id: asString(row.id),
    concertId: asString(row.concert_id),
    tierId: asString(row.tier_id),
    userId: asString(row.user_id),
    quantity: asNumber(row.quantity),
    status: asString(row.status) as WaitlistStatus,
    position: row.position === null || row.position === undefined ? null : asNumber(row.position),
    createdAt: asIsoTime(row.created_at),
    reservation: hasOffer
      ? toReservation({
          id: row.r_id,
          user_id: row.r_user_id,
          concert_id: row.r_concert_id,
          tier_id: row.r_tier_id,
          quantity: row.r_quantity,
          total_cents: row.r_total_cents,
          currency: row.r_currency,
          status: row.r_status,
          expires_at: row.r_expires_at,
          created_at: row.r_created_at,
          overdue: row.r_overdue,
        })
      : null,
  };
}

// Two releases of one concert's tiers can rarely cross; PostgreSQL aborts one, which is safe to run again
// (each function is one atomic statement).
async function retryOnDeadlock<T>(attempt: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= tries || (error as { code?: unknown } | null)?.code !== DEADLOCK_DETECTED) throw error;
    }
  }
}

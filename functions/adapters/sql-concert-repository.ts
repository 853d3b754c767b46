import type { Concert, ConcertStatus } from '../core/model';
import type {
  ConcertChange,
  ConcertRepository,
  ConcertUpdateOutcome,
  NewConcert,
  NewTier,
} from '../ports/concert.repository.port';
import type { SqlDatabase, SqlExecutor, SqlRow } from '../ports/sql-database.port';
import { asIsoTime, asNumber, asString } from './sql-values';

// Overdue holds are added back to `available` here, so readers see them free before any sweep.
const SELECT_CONCERTS = `
  SELECT c.id, c.title, c.artist, c.venue, c.starts_at, c.status,
         t.id AS tier_id, t.name AS tier_name, t.price_cents, t.currency, t.capacity, t.max_per_order,
         t.version, t.available + coalesce(o.overdue, 0) AS available
    FROM concerts c
    LEFT JOIN ticket_tiers t ON t.concert_id = c.id
    LEFT JOIN LATERAL (
      SELECT sum(r.quantity) AS overdue FROM reservations r
       WHERE r.tier_id = t.id AND r.status = 'held' AND r.expires_at <= now()
    ) o ON true`;

const UNIQUE_VIOLATION = '23505';

export class SqlConcertRepository implements ConcertRepository {
  constructor(private readonly db: SqlDatabase) {}

  async list(): Promise<Concert[]> {
    return toConcerts(await this.db.query(`${SELECT_CONCERTS} ORDER BY c.starts_at, c.id, t.position`));
  }

  async get(id: string): Promise<Concert | null> {
    return getConcert(this.db, id);
  }

  async insert(concert: NewConcert): Promise<Concert | null> {
    try {
      const rows = await this.db.query(
        `WITH c AS (
           INSERT INTO concerts (title, artist, venue, starts_at, status)
           VALUES ($1, $2, $3, $4::timestamptz, $5) RETURNING id
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
        ],
      );
      const id = rows[0] ? asString(rows[0].id) : null;
      return id ? getConcert(this.db, id) : null;
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async update(id: string, change: ConcertChange): Promise<ConcertUpdateOutcome> {
    try {
      return await this.db.transaction(async (tx) => {
        const found = await tx.query(
          `UPDATE concerts SET title = coalesce($2, title), artist = coalesce($3, artist),
                  venue = coalesce($4, venue), starts_at = coalesce($5::timestamptz, starts_at),
                  status = coalesce($6, status), updated_at = now()
            WHERE id = $1 RETURNING id`,
          [
            id,
            change.title ?? null,
            change.artist ?? null,
            change.venue ?? null,
            change.startsAt ?? null,
            change.status ?? null,
          ],
        );
        if (!found[0]) return { kind: 'not-found' } as const;
        for (const tier of change.tierChanges) {
          const refused = await updateTier(tx, id, tier);
          if (refused) return refused;
        }
        if (change.newTiers.length > 0) {
          const [next] = await tx.query(
            'SELECT coalesce(max(position), 0) AS position FROM ticket_tiers WHERE concert_id = $1',
            [id],
          );
          await tx.query(
            `INSERT INTO ticket_tiers (concert_id, position, name, price_cents, currency, capacity, available, max_per_order)
             SELECT $1, x.position, x.name, x.price_cents, x.currency, x.capacity, x.capacity, x.max_per_order
               FROM json_to_recordset($2::json)
                    AS x(position integer, name text, price_cents integer, currency text, capacity integer, max_per_order integer)`,
            [id, tiersJson(change.newTiers, asNumber(next?.position ?? 0))],
          );
        }
        const concert = await getConcert(tx, id);
        return concert ? ({ kind: 'updated', concert } as const) : ({ kind: 'not-found' } as const);
      });
    } catch (error) {
      if (isUniqueViolation(error)) return { kind: 'duplicate-tier-name', name: '' };
      throw error;
    }
  }
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
  const rows = await db.query(`${SELECT_CONCERTS} WHERE c.id = $1 ORDER BY t.position`, [id]);
  return toConcerts(rows)[0] ?? null;
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

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
}

function toConcerts(rows: SqlRow[]): Concert[] {
  const byId = new Map<string, Concert>();
  for (const row of rows) {
    const id = asString(row.id);
    let concert = byId.get(id);
    if (!concert) {
      concert = {
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
      byId.set(id, concert);
    }
    if (row.tier_id === null || row.tier_id === undefined) continue;
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

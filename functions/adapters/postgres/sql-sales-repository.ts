import type { SalesRepository, TierSales } from '../../ports/sales.repository.port';
import type { SqlDatabase } from '../../ports/sql-database.port';
import { asNumber, asString } from './sql-values';

/** Sold and held per tier in one read; a hold past `expires_at` is free (DESIGN invariant 1), swept or not. */
export class SqlSalesRepository implements SalesRepository {
  constructor(private readonly db: SqlDatabase) {}

  async tierSales(): Promise<TierSales[]> {
    const rows = await this.db.query(
      `SELECT t.concert_id, t.id AS tier_id,
              coalesce(sum(r.quantity) FILTER (WHERE r.status = 'confirmed'), 0)::integer AS sold,
              coalesce(sum(r.quantity) FILTER (WHERE r.status = 'held' AND r.expires_at > now()), 0)::integer AS held
         FROM ticket_tiers t
         LEFT JOIN reservations r ON r.tier_id = t.id AND r.status IN ('confirmed', 'held')
        GROUP BY t.concert_id, t.id
        ORDER BY t.concert_id, t.id`,
      [],
    );
    return rows.map((row) => ({
      concertId: asString(row.concert_id),
      tierId: asString(row.tier_id),
      sold: asNumber(row.sold),
      held: asNumber(row.held),
    }));
  }
}

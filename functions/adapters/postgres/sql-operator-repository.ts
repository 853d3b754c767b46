import type { ExportedTicket, OperatorRepository } from '../../ports/operator.repository.port';
import type { SqlDatabase } from '../../ports/sql-database.port';
import { asIsoTime, asString } from './sql-values';

/** OperatorRepository on any SqlDatabase (PostgreSQL, PGlite, the RDS Data API). */
export class SqlOperatorRepository implements OperatorRepository {
  constructor(private readonly db: SqlDatabase) {}

  async appliedMigrations(): Promise<string[] | undefined> {
    const [table] = await this.db.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
    if (!table?.present) return undefined;
    return (await this.db.query('SELECT name FROM schema_migrations')).map((row) => String(row.name));
  }

  async concertTitle(concertId: string): Promise<string | undefined> {
    const [concert] = await this.db.query('SELECT title FROM concerts WHERE id = $1', [concertId]);
    return concert ? asString(concert.title) : undefined;
  }

  async concertTickets(concertId: string): Promise<ExportedTicket[]> {
    const rows = await this.db.query(
      `SELECT t.code, tt.name AS tier, u.email AS holder, t.reservation_id, t.created_at
         FROM tickets t JOIN ticket_tiers tt ON tt.id = t.tier_id JOIN users u ON u.id = t.user_id
        WHERE t.concert_id = $1 ORDER BY tt.position, t.created_at, t.code`,
      [concertId],
    );
    return rows.map((row) => ({
      code: asString(row.code),
      tier: asString(row.tier),
      holder: asString(row.holder),
      reservationId: String(row.reservation_id),
      issuedAt: asIsoTime(row.created_at),
    }));
  }
}

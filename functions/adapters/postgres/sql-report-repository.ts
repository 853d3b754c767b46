import type { ConcertDayFigures, DailyReport, ReportRepository } from '../../ports/report.repository.port';
import type { SqlDatabase, SqlRow } from '../../ports/sql-database.port';
import { asIsoTime, asNumber, asString } from './sql-values';

const COLUMNS = `concert_id, title, currency, time_zone, sold_today, sold_to_date, revenue_today_cents,
  revenue_to_date_cents, capacity, sell_through, expired_holds, generated_at, final`;

export class SqlReportRepository implements ReportRepository {
  constructor(private readonly db: SqlDatabase) {}

  async computeAndStore(
    date: string,
    timeZone: string,
    options: { final?: boolean } = {},
  ): Promise<DailyReport> {
    // The day runs from local midnight to local midnight in the schedule's time zone.
    await this.db.query(
      `WITH day AS (
         SELECT ($1::date)::timestamp AT TIME ZONE $2 AS starts, ($1::date + 1)::timestamp AT TIME ZONE $2 AS ends
       ), tiers AS (
         SELECT concert_id, currency, sum(capacity)::integer AS capacity FROM ticket_tiers GROUP BY concert_id, currency
       ), sales AS (
         SELECT r.concert_id, r.currency,
                coalesce(sum(r.quantity) FILTER (WHERE r.status = 'confirmed' AND r.confirmed_at >= d.starts AND r.confirmed_at < d.ends), 0) AS sold_today,
                coalesce(sum(r.quantity) FILTER (WHERE r.status = 'confirmed' AND r.confirmed_at < d.ends), 0) AS sold_to_date,
                coalesce(sum(r.total_cents) FILTER (WHERE r.status = 'confirmed' AND r.confirmed_at >= d.starts AND r.confirmed_at < d.ends), 0) AS revenue_today,
                coalesce(sum(r.total_cents) FILTER (WHERE r.status = 'confirmed' AND r.confirmed_at < d.ends), 0) AS revenue_to_date,
                count(*) FILTER (WHERE r.status IN ('held', 'expired') AND r.expires_at >= d.starts
                                   AND r.expires_at < d.ends AND r.expires_at <= now()) AS expired_holds
           FROM reservations r CROSS JOIN day d
          GROUP BY r.concert_id, r.currency
       )
       INSERT INTO daily_reports (report_date, concert_id, currency, title, time_zone, sold_today, sold_to_date,
                                  revenue_today_cents, revenue_to_date_cents, capacity, sell_through, expired_holds, generated_at, final)
       SELECT $1::date, c.id, t.currency, c.title, $2, coalesce(s.sold_today, 0), coalesce(s.sold_to_date, 0),
              coalesce(s.revenue_today, 0), coalesce(s.revenue_to_date, 0), t.capacity,
              CASE WHEN t.capacity > 0 THEN coalesce(s.sold_to_date, 0)::double precision / t.capacity ELSE 0 END,
              coalesce(s.expired_holds, 0), now(), $3::boolean
         FROM concerts c
         JOIN tiers t ON t.concert_id = c.id
         CROSS JOIN day d
         LEFT JOIN sales s ON s.concert_id = c.id AND s.currency = t.currency
        WHERE c.created_at < d.ends
       ON CONFLICT (report_date, concert_id, currency) DO UPDATE SET
         title = EXCLUDED.title, time_zone = EXCLUDED.time_zone, sold_today = EXCLUDED.sold_today,
         sold_to_date = EXCLUDED.sold_to_date, revenue_today_cents = EXCLUDED.revenue_today_cents,
         revenue_to_date_cents = EXCLUDED.revenue_to_date_cents, capacity = EXCLUDED.capacity,
         sell_through = EXCLUDED.sell_through, expired_holds = EXCLUDED.expired_holds,
         generated_at = EXCLUDED.generated_at, final = EXCLUDED.final`,
      [date, timeZone, options.final ?? false],
    );
    // Concerts removed since an earlier run of the same day leave no stale rows behind.
    await this.db.query(
      `DELETE FROM daily_reports r WHERE r.report_date = $1::date AND r.generated_at < (
         SELECT max(generated_at) FROM daily_reports WHERE report_date = $1::date)`,
      [date],
    );
    return (
      (await this.find(date)) ?? {
        date,
        timeZone,
        generatedAt: new Date().toISOString(),
        final: options.final ?? false,
        concerts: [],
      }
    );
  }

  async find(date: string): Promise<DailyReport | null> {
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM daily_reports WHERE report_date = $1::date ORDER BY title, concert_id, currency`,
      [date],
    );
    const first = rows[0];
    if (!first) return null;
    return {
      date,
      timeZone: asString(first.time_zone),
      generatedAt: asIsoTime(first.generated_at),
      final: first.final === true || first.final === 't',
      concerts: rows.map(toFigures),
    };
  }
}

function toFigures(row: SqlRow): ConcertDayFigures {
  return {
    concertId: asString(row.concert_id),
    title: asString(row.title),
    currency: asString(row.currency),
    soldToday: asNumber(row.sold_today),
    soldToDate: asNumber(row.sold_to_date),
    revenueTodayCents: asNumber(row.revenue_today_cents),
    revenueToDateCents: asNumber(row.revenue_to_date_cents),
    capacity: asNumber(row.capacity),
    sellThrough: Math.round(asNumber(row.sell_through) * 10_000) / 10_000,
    expiredHolds: asNumber(row.expired_holds),
  };
}

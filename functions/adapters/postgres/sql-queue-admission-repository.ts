import type { SqlDatabase, SqlRow } from '../../ports/sql-database.port';
import type {
  AdmissionFigures,
  AdmissionRecord,
  QueueAdmissionRepository,
} from '../../ports/waiting-room.store.port';
import { KeyedBatcher } from './keyed-batcher';
import { asIsoTime, asNumber, asString } from './sql-values';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Queue admissions in table queue_admissions (migration 012): one per (concert, fan), never replaced. */
export class SqlQueueAdmissionRepository implements QueueAdmissionRepository {
  /**
   * `find`s of one concert that arrive together go as one statement (every new place after on-sale asks
   * once: bench/waiting-room.ts's 10,000 arrivals made 10,000 reads). One read per concert at a time,
   * carrying what queued meanwhile (up to 500 fans).
   */
  private readonly finds = new KeyedBatcher<string, AdmissionRecord | null>(
    (concertId, userIds) => this.findBatch(concertId, userIds),
    500,
  );

  constructor(private readonly db: SqlDatabase) {}

  async record(concertId: string, admissions: readonly AdmissionRecord[]): Promise<AdmissionRecord[]> {
    if (admissions.length === 0) return [];
    const rows = JSON.stringify(
      admissions.map((admission) => ({
        user_id: admission.userId,
        admitted_at: new Date(admission.admittedAtMs).toISOString(),
        expires_at: new Date(admission.expiresAtMs).toISOString(),
      })),
    );
    // An earlier admission wins (DO NOTHING); then every asked fan's admission as it stands.
    await this.db.query(
      `INSERT INTO queue_admissions (concert_id, user_id, admitted_at, expires_at)
       SELECT $1::uuid, x.user_id, x.admitted_at, x.expires_at
         FROM json_to_recordset($2::json) AS x(user_id uuid, admitted_at timestamptz, expires_at timestamptz)
       ON CONFLICT (concert_id, user_id) DO NOTHING`,
      [concertId, rows],
    );
    const stored = await this.db.query(
      `SELECT a.user_id, a.admitted_at, a.expires_at
         FROM queue_admissions a
         JOIN json_to_recordset($2::json) AS x(user_id uuid) ON x.user_id = a.user_id
        WHERE a.concert_id = $1::uuid`,
      [concertId, rows],
    );
    const byUser = new Map(stored.map((row) => [asString(row.user_id), toRecord(row)]));
    // The order asked (the queue's order), for fans the database knows.
    return admissions.flatMap((admission) => {
      const record = byUser.get(admission.userId);
      return record ? [record] : [];
    });
  }

  /** Concerts on sale with their waiting room on: what the admission ticker steps through. */
  async queuedConcertIds(): Promise<string[]> {
    const rows = await this.db.query(
      "SELECT id FROM concerts WHERE waiting_room_enabled AND status = 'on-sale' ORDER BY id",
      [],
    );
    return rows.map((row) => asString(row.id));
  }

  /** See QueueAdmissionRepository.find: as of a read started after this call (shared with concurrent calls). */
  find(concertId: string, userId: string): Promise<AdmissionRecord | null> {
    if (!UUID.test(userId)) return Promise.resolve(null);
    return this.finds.submit(concertId, userId.toLowerCase());
  }

  private async findBatch(concertId: string, userIds: string[]) {
    const rows = await this.db.query(
      `SELECT user_id, admitted_at, expires_at FROM queue_admissions
        WHERE concert_id = $1::uuid
          AND user_id IN (SELECT value::uuid FROM json_array_elements_text($2::json))`,
      [concertId, JSON.stringify([...new Set(userIds)])],
    );
    const byUser = new Map(rows.map((row) => [asString(row.user_id).toLowerCase(), toRecord(row)]));
    return userIds.map((userId) => ({ ok: true as const, value: byUser.get(userId) ?? null }));
  }

  async purchases(
    concertId: string,
    userIds: readonly string[],
    nowMs: number,
  ): Promise<Map<string, { bought: number; held: number }>> {
    const ids = [...new Set(userIds.filter((userId) => UUID.test(userId)).map((id) => id.toLowerCase()))];
    if (ids.length === 0) return new Map();
    const rows = await this.db.query(
      `SELECT a.user_id,
              coalesce(sum(r.quantity) FILTER (WHERE r.status = 'confirmed'), 0)::integer AS bought,
              coalesce(sum(r.quantity) FILTER (WHERE r.status = 'held' AND r.expires_at > $3::timestamptz), 0)::integer AS held
         FROM queue_admissions a
         JOIN reservations r ON r.concert_id = a.concert_id AND r.user_id = a.user_id AND r.created_at >= a.admitted_at
        WHERE a.concert_id = $1::uuid
          AND a.user_id IN (SELECT value::uuid FROM json_array_elements_text($2::json))
        GROUP BY a.user_id`,
      [concertId, JSON.stringify(ids), new Date(nowMs).toISOString()],
    );
    const out = new Map<string, { bought: number; held: number }>();
    const asked = new Map(userIds.map((userId) => [userId.toLowerCase(), userId]));
    for (const row of rows) {
      const userId = asString(row.user_id).toLowerCase();
      const usage = { bought: asNumber(row.bought), held: asNumber(row.held) };
      if (usage.bought > 0 || usage.held > 0) out.set(asked.get(userId) ?? userId, usage);
    }
    return out;
  }

  async figures(concertId: string, nowMs: number): Promise<AdmissionFigures> {
    const [row] = await this.db.query(
      `SELECT (SELECT count(*) FROM queue_admissions a
                WHERE a.concert_id = $1::uuid AND a.expires_at > $2::timestamptz
                  AND NOT EXISTS (SELECT 1 FROM reservations b
                                   WHERE b.concert_id = a.concert_id AND b.user_id = a.user_id
                                     AND b.created_at >= a.admitted_at))::integer AS open_admissions,
              (SELECT count(*) FROM queue_admissions a WHERE a.concert_id = $1::uuid)::integer AS admitted,
              coalesce(sum(r.quantity) FILTER (WHERE r.status = 'confirmed'), 0)::integer AS sold,
              coalesce(sum(r.quantity) FILTER (WHERE r.status = 'held' AND r.expires_at > now()), 0)::integer AS held,
              avg(r.quantity)::float8 AS average_order_size
         FROM reservations r
        WHERE r.concert_id = $1::uuid AND r.status IN ('confirmed', 'held')`,
      [concertId, new Date(nowMs).toISOString()],
    );
    const average = row?.average_order_size;
    return {
      openAdmissions: asNumber(row?.open_admissions ?? 0),
      admitted: asNumber(row?.admitted ?? 0),
      sold: asNumber(row?.sold ?? 0),
      held: asNumber(row?.held ?? 0),
      averageOrderSize: average === null || average === undefined ? null : asNumber(average),
    };
  }
}

function toRecord(row: SqlRow): AdmissionRecord {
  return {
    userId: asString(row.user_id),
    admittedAtMs: Date.parse(asIsoTime(row.admitted_at)),
    expiresAtMs: Date.parse(asIsoTime(row.expires_at)),
  };
}

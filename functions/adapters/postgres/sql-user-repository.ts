import { canonicalEmail } from '../../core/email-address';
import type { User } from '../../core/model';
import type { SqlDatabase, SqlRow } from '../../ports/sql-database.port';
import type { AccountStanding } from '../../ports/token-service.port';
import type { StoredUser, UserRepository } from '../../ports/user.repository.port';
import { KeyedBatcher } from './keyed-batcher';
import { asNumber, asString } from './sql-values';

const COLUMNS = 'id, email, name, role, password_hash, token_version';
/** Account ids are UUIDs (migration 001); anything else names no account. */
const ACCOUNT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Users in PostgreSQL. Every e-mail is put through canonicalEmail here too (it is idempotent) and then
 * compared exactly (unique index on `email`, migration 005): never through `lower()`, whose answer depends
 * on the collation.
 */
export class SqlUserRepository implements UserRepository {
  /**
   * Standing reads that arrive together go as one statement (found by bench/waiting-room.ts: 20,000 fans
   * joining at on-sale made one read each and exhausted the pool). At most one read runs at a time and
   * carries everything that queued meanwhile (up to 500 accounts), so no caller waits longer than one read.
   */
  private readonly standings = new KeyedBatcher<string, AccountStanding | null>(
    (_key, userIds) => this.standingBatch(userIds),
    500,
  );

  constructor(private readonly db: SqlDatabase) {}

  async insert(user: { email: string; name: string; passwordHash: string; role: User['role'] }) {
    const rows = await this.db.query(
      `INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, $4)
       ON CONFLICT (email) DO NOTHING RETURNING ${COLUMNS}`,
      [canonicalEmail(user.email), user.name, user.passwordHash, user.role],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findByEmail(email: string): Promise<StoredUser | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM users WHERE email = $1`, [
      canonicalEmail(email),
    ]);
    return rows[0] ? toStoredUser(rows[0]) : null;
  }

  /**
   * The account's role and token version as of a read started after this call (concurrent calls share
   * one `WHERE id IN (…)` read); null for an unknown account or an id that is no UUID. Rejects with the
   * read's error (SERVICE_UNAVAILABLE when the database cannot be reached) for every call it carried.
   */
  standing(userId: string): Promise<AccountStanding | null> {
    if (!ACCOUNT_ID.test(userId)) return Promise.resolve(null);
    return this.standings.submit('standing', userId.toLowerCase());
  }

  private async standingBatch(userIds: string[]) {
    const rows = await this.db.query(
      `SELECT id, role, token_version FROM users
        WHERE id IN (SELECT value::uuid FROM json_array_elements_text($1::json))`,
      [JSON.stringify([...new Set(userIds)])],
    );
    const byId = new Map(
      rows.map((row) => [
        asString(row.id).toLowerCase(),
        { role: asRole(row.role), tokenVersion: asNumber(row.token_version) } satisfies AccountStanding,
      ]),
    );
    return userIds.map((userId) => ({ ok: true as const, value: byId.get(userId) ?? null }));
  }

  async upsertAdmin(user: { email: string; name: string; passwordHash: string }): Promise<StoredUser> {
    const rows = await this.db.query(
      `INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, 'admin')
       ON CONFLICT (email) DO UPDATE SET role = 'admin', password_hash = EXCLUDED.password_hash,
         token_version = users.token_version + 1
       RETURNING ${COLUMNS}`,
      [canonicalEmail(user.email), user.name, user.passwordHash],
    );
    if (!rows[0]) throw new Error('upsert returned no row');
    return toStoredUser(rows[0]);
  }

  async updateAccount(user: { email: string; name: string; passwordHash: string; role: User['role'] }) {
    const rows = await this.db.query(
      `UPDATE users SET name = $2, password_hash = $3, role = $4, token_version = token_version + 1
        WHERE email = $1 RETURNING ${COLUMNS}`,
      [canonicalEmail(user.email), user.name, user.passwordHash, user.role],
    );
    return rows[0] ? toStoredUser(rows[0]) : null;
  }
}

function toUser(row: SqlRow): User {
  const { passwordHash: _hash, tokenVersion: _version, ...user } = toStoredUser(row);
  return user;
}

function toStoredUser(row: SqlRow): StoredUser {
  return {
    id: asString(row.id),
    email: asString(row.email),
    name: asString(row.name),
    role: asRole(row.role),
    passwordHash: asString(row.password_hash),
    tokenVersion: asNumber(row.token_version),
  };
}

// Any role the users table allows (its CHECK constraint) is passed through; anything else is a customer.
const ROLES: ReadonlySet<string> = new Set(['customer', 'staff', 'admin']);
function asRole(value: unknown): User['role'] {
  const role = asString(value);
  return (ROLES.has(role) ? role : 'customer') as User['role'];
}

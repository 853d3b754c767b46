import { canonicalEmail } from '../../core/email-address';
import type { User } from '../../core/model';
import type { SqlDatabase, SqlRow } from '../../ports/sql-database.port';
import type { AccountStanding } from '../../ports/token-service.port';
import type { StoredUser, UserRepository } from '../../ports/user.repository.port';
import { KeyedBatcher, type MemberResult } from './keyed-batcher';
import { asNumber, asString } from './sql-values';

const COLUMNS = 'id, email, name, role, password_hash, token_version';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Users in PostgreSQL. Every e-mail is put through canonicalEmail here too (it is idempotent) and then
 * compared exactly (unique index on `email`, migration 005): never through `lower()`, whose answer depends
 * on the collation.
 */
export class SqlUserRepository implements UserRepository {
  /**
   * Every authenticated request asks for its account's standing (AccountCheckedTokens, cached 5 s per
   * account): during a flash sale with thousands of buyers that was one statement per request, more round
   * trips than the hold batches themselves (issue 19, pg_stat_statements). Concurrent asks go as one.
   */
  private readonly standings = new KeyedBatcher<string, AccountStanding | null>((_key, ids) =>
    this.standingBatch(ids),
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
   * The account's role and token version; null when no such account. Asks made while another is in
   * flight go together as one statement (ids as a JSON array: the Data API has no array parameters).
   * Errors: the database's, to every ask of the failed statement.
   */
  standing(userId: string): Promise<AccountStanding | null> {
    return this.standings.submit('standing', userId);
  }

  private async standingBatch(ids: string[]): Promise<Array<MemberResult<AccountStanding | null>>> {
    const wanted = [...new Set(ids.map((id) => id.toLowerCase()))].filter((id) => UUID.test(id));
    const rows =
      wanted.length === 0
        ? []
        : await this.db.query(
            `SELECT u.id, u.role, u.token_version FROM users u
              WHERE u.id IN (SELECT value::uuid FROM json_array_elements_text($1::json))`,
            [JSON.stringify(wanted)],
          );
    const found = new Map(
      rows.map((row) => [
        asString(row.id).toLowerCase(),
        { role: asRole(row.role), tokenVersion: asNumber(row.token_version) },
      ]),
    );
    return ids.map((id) => ({ ok: true, value: found.get(id.toLowerCase()) ?? null }));
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

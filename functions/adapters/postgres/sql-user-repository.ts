import { canonicalEmail } from '../../core/email-address';
import type { User } from '../../core/model';
import type { SqlDatabase, SqlRow } from '../../ports/sql-database.port';
import type { AccountStanding } from '../../ports/token-service.port';
import type { StoredUser, UserRepository } from '../../ports/user.repository.port';
import { asNumber, asString } from './sql-values';

const COLUMNS = 'id, email, name, role, password_hash, token_version';

/**
 * Users in PostgreSQL. Every e-mail is put through canonicalEmail here too (it is idempotent) and then
 * compared exactly (unique index on `email`, migration 005): never through `lower()`, whose answer depends
 * on the collation.
 */
export class SqlUserRepository implements UserRepository {
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

  async standing(userId: string): Promise<AccountStanding | null> {
    const rows = await this.db.query('SELECT role, token_version FROM users WHERE id = $1', [userId]);
    if (!rows[0]) return null;
    return { role: asRole(rows[0].role), tokenVersion: asNumber(rows[0].token_version) };
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

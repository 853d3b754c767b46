import type { User } from '../core/model';
import type { SqlDatabase, SqlRow } from '../ports/sql-database.port';
import type { StoredUser, UserRepository } from '../ports/user.repository.port';
import { asString } from './sql-values';

const COLUMNS = 'id, email, name, role, password_hash';

export class SqlUserRepository implements UserRepository {
  constructor(private readonly db: SqlDatabase) {}

  async insert(user: { email: string; name: string; passwordHash: string; role: 'customer' | 'admin' }) {
    const rows = await this.db.query(
      `INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, $4)
       ON CONFLICT ((lower(email))) DO NOTHING RETURNING ${COLUMNS}`,
      [user.email, user.name, user.passwordHash, user.role],
    );
    return rows[0] ? toStoredUser(rows[0]).user : null;
  }

  async findByEmail(email: string): Promise<StoredUser | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)`, [email]);
    if (!rows[0]) return null;
    const { user, passwordHash } = toStoredUser(rows[0]);
    return { ...user, passwordHash };
  }

  async upsertAdmin(user: { email: string; name: string; passwordHash: string }): Promise<User> {
    const rows = await this.db.query(
      `INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, 'admin')
       ON CONFLICT ((lower(email))) DO UPDATE SET role = 'admin', password_hash = EXCLUDED.password_hash
       RETURNING ${COLUMNS}`,
      [user.email, user.name, user.passwordHash],
    );
    if (!rows[0]) throw new Error('upsert returned no row');
    return toStoredUser(rows[0]).user;
  }
}

function toStoredUser(row: SqlRow): { user: User; passwordHash: string } {
  const role = asString(row.role);
  return {
    user: {
      id: asString(row.id),
      email: asString(row.email),
      name: asString(row.name),
      role: role === 'admin' ? 'admin' : 'customer',
    },
    passwordHash: asString(row.password_hash),
  };
}

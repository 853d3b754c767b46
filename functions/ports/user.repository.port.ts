import type { Role, User } from '../core/model';

export interface StoredUser extends User {
  passwordHash: string;
}

export interface UserRepository {
  /** Returns null when the e-mail is taken (case-insensitively). */
  insert(user: { email: string; name: string; passwordHash: string; role: Role }): Promise<User | null>;
  findByEmail(email: string): Promise<StoredUser | null>;
  /** Creates the user or makes the existing one an admin with this password. */
  upsertAdmin(user: { email: string; name: string; passwordHash: string }): Promise<User>;
}

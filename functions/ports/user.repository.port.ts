import type { Role, User } from '../core/model';
import type { AccountStanding } from './token-service.port';

export interface StoredUser extends User {
  passwordHash: string;
  /** Raised by every change of password or role; tokens issued under an older one are void. */
  tokenVersion: number;
}

/** Every e-mail given to or returned by this port is in canonical form (core/email-address.ts). */
export interface UserRepository {
  /** Returns null when the e-mail is taken (compared exactly, on the canonical form). */
  insert(user: { email: string; name: string; passwordHash: string; role: Role }): Promise<User | null>;
  findByEmail(email: string): Promise<StoredUser | null>;
  /** The account's role and token version, or null when there is no such account. */
  standing(userId: string): Promise<AccountStanding | null>;
  /**
   * Creates the user as an admin, or makes the existing one an admin with this password hash, raising
   * its token version (so sessions opened under the old password or role end).
   */
  upsertAdmin(user: { email: string; name: string; passwordHash: string }): Promise<StoredUser>;
  /**
   * Gives the existing account with this e-mail this name, role and password hash, raising its token version
   * (its sessions end). Returns null when there is no such account.
   */
  updateAccount(user: {
    email: string;
    name: string;
    passwordHash: string;
    role: Role;
  }): Promise<StoredUser | null>;
}

import type { AuthDeps } from './auth.service';
import { canonicalEmail } from './email-address';
import { TicketingError } from './errors';
import type { Role, User } from './model';

/** An account an operator or organiser makes: any role, with a password they hand over. */
export interface NewAccount {
  email: string;
  /** At least 8 characters (the sign-up rule). */
  password: string;
  name: string;
  role: Role;
}

/** What `createAccount` did: `created` a new account, `updated` an existing one (only when allowed). */
export interface AccountResult {
  user: User;
  outcome: 'created' | 'updated';
}

/**
 * Creates an account with the given role (the CLI's `create-user`, the console's "make a staff account").
 * An existing account with the e-mail is changed (name, role, password; its sessions end) only with
 * `update: true`; otherwise EMAIL_TAKEN, and nothing changes.
 * @throws TicketingError EMAIL_TAKEN (409, details.role: the existing account's role), VALIDATION_FAILED
 *   (password shorter than 8 characters)
 */
export async function createAccount(
  deps: Pick<AuthDeps, 'users' | 'passwords'>,
  account: NewAccount,
  options: { update?: boolean } = {},
): Promise<AccountResult> {
  if (account.password.length < 8)
    throw new TicketingError('VALIDATION_FAILED', 'The password must have at least 8 characters');
  const email = canonicalEmail(account.email);
  const existing = await deps.users.findByEmail(email);
  if (existing && !options.update)
    throw new TicketingError('EMAIL_TAKEN', `An account ${existing.email} already exists`, {
      role: existing.role,
    });
  const passwordHash = await deps.passwords.hash(account.password);
  const fields = { email, name: account.name, passwordHash, role: account.role };
  if (!existing) {
    const user = await deps.users.insert(fields);
    if (user) return { user, outcome: 'created' };
    // Made by someone else since we looked: the same refusal as had we seen it.
    if (!options.update) throw new TicketingError('EMAIL_TAKEN', `An account ${email} already exists`);
  }
  const updated = await deps.users.updateAccount(fields);
  if (!updated) throw new Error(`account ${email} vanished while being updated`);
  const { passwordHash: _hash, tokenVersion: _version, ...user } = updated;
  return { user, outcome: 'updated' };
}

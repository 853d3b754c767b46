import type { LoginThrottle, ThrottleVerdict } from '../ports/login-throttle.port';
import type { PasswordHasher } from '../ports/password-hasher.port';
import type { TokenService } from '../ports/token-service.port';
import type { UserRepository } from '../ports/user.repository.port';
import { canonicalEmail } from './email-address';
import { TicketingError } from './errors';
import type { Principal, User } from './model';

export interface AuthDeps {
  users: UserRepository;
  passwords: PasswordHasher;
  tokens: TokenService;
  loginThrottle: LoginThrottle;
}

export interface Session {
  token: string;
  user: User;
}

// Verified against when the e-mail is unknown, so a miss costs as much time as a wrong password.
let decoyHash: Promise<string> | undefined;

// A refused first hash (hashing saturated) must not be remembered: the next miss tries again.
function decoy(deps: Pick<AuthDeps, 'passwords'>): Promise<string> {
  decoyHash ??= deps.passwords.hash('decoy password for unknown accounts');
  const hash = decoyHash;
  hash.catch(() => {
    if (decoyHash === hash) decoyHash = undefined;
  });
  return hash;
}

function refuseWhenThrottled(verdict: ThrottleVerdict, what: string): void {
  if (!verdict.allowed) {
    throw new TicketingError('RATE_LIMITED', `Too many ${what}; try again later`, {
      retryAfterSeconds: verdict.retryAfterSeconds,
    });
  }
}

/**
 * Signs a new customer up and opens a session.
 * @param clientAddress the caller's IP address: sign-ups per address are limited
 *   (REGISTRATIONS_PER_ADDRESS_PER_MINUTE) before any password is hashed
 * @throws TicketingError RATE_LIMITED (details.retryAfterSeconds), EMAIL_TAKEN, SERVICE_UNAVAILABLE
 *   (password hashing saturated)
 */
export async function registerUser(
  deps: AuthDeps,
  input: { email: string; password: string; name: string },
  clientAddress: string,
): Promise<Session> {
  refuseWhenThrottled(await deps.loginThrottle.registration(clientAddress), 'sign-ups from this address');
  const email = canonicalEmail(input.email);
  const passwordHash = await deps.passwords.hash(input.password);
  const user = await deps.users.insert({ email, name: input.name, passwordHash, role: 'customer' });
  if (!user) throw new TicketingError('EMAIL_TAKEN', 'An account with this e-mail already exists');
  return { token: await deps.tokens.issue({ userId: user.id, role: user.role }, 0), user };
}

/**
 * Checks a password and opens a session. Guessing is slowed per address, per (account, address) and,
 * for addresses the owner never signed in from, per account (see RateLimiterLoginThrottle); an owner is
 * never locked out by someone else's guesses.
 * @throws TicketingError RATE_LIMITED (details.retryAfterSeconds), INVALID_CREDENTIALS, SERVICE_UNAVAILABLE
 */
export async function logIn(
  deps: AuthDeps,
  input: { email: string; password: string },
  clientAddress: string,
): Promise<Session> {
  const email = canonicalEmail(input.email);
  refuseWhenThrottled(await deps.loginThrottle.attempt(clientAddress, email), 'login attempts');
  const stored = await deps.users.findByEmail(email);
  const valid = await deps.passwords.verify(input.password, stored?.passwordHash ?? (await decoy(deps)));
  if (!stored || !valid) {
    await deps.loginThrottle.failed(clientAddress, email);
    throw new TicketingError('INVALID_CREDENTIALS', 'E-mail or password is wrong');
  }
  await deps.loginThrottle.succeeded(clientAddress, email);
  const { passwordHash: _hash, tokenVersion, ...user } = stored;
  return { token: await deps.tokens.issue({ userId: user.id, role: user.role }, tokenVersion), user };
}

/**
 * The caller of an HTTP request, from `Authorization: Bearer <token>` (RFC 6750), as the account stands
 * now (TokenService.verify).
 * @throws TicketingError UNAUTHORIZED
 */
export async function authenticate(
  tokens: TokenService,
  authorization: string | undefined,
): Promise<Principal> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const principal = match?.[1] ? await tokens.verify(match[1]) : null;
  if (!principal) throw new TicketingError('UNAUTHORIZED', 'A valid bearer token is required');
  return principal;
}

export function requireAdmin(principal: Principal): void {
  if (principal.role !== 'admin') throw new TicketingError('FORBIDDEN', 'Only administrators may do this');
}

/**
 * Makes sure the configured administrator exists with the configured password (start-up, `create-admin`).
 * An account that already is an admin with this password is left untouched, so a restart ends no
 * session; otherwise it is made an admin with this password and its older tokens end.
 */
export async function ensureAdmin(
  deps: Pick<AuthDeps, 'users' | 'passwords'>,
  admin: { email: string; password: string },
): Promise<User> {
  const email = canonicalEmail(admin.email);
  const existing = await deps.users.findByEmail(email);
  if (existing?.role === 'admin' && (await deps.passwords.verify(admin.password, existing.passwordHash))) {
    return withoutSecrets(existing);
  }
  const passwordHash = await deps.passwords.hash(admin.password);
  return withoutSecrets(await deps.users.upsertAdmin({ email, name: 'Administrator', passwordHash }));
}

/**
 * Creates an administrator only when no account has this e-mail (the sample data): an existing account,
 * whatever its role or password, is never changed.
 * @returns the account and whether it was created now
 */
export async function createAdminIfAbsent(
  deps: Pick<AuthDeps, 'users' | 'passwords'>,
  admin: { email: string; password: string },
): Promise<{ user: User; created: boolean }> {
  const email = canonicalEmail(admin.email);
  const existing = await deps.users.findByEmail(email);
  if (existing) return { user: withoutSecrets(existing), created: false };
  const passwordHash = await deps.passwords.hash(admin.password);
  const user = await deps.users.insert({ email, name: 'Administrator', passwordHash, role: 'admin' });
  if (user) return { user, created: true };
  const raced = await deps.users.findByEmail(email);
  if (!raced) throw new Error(`account ${email} vanished while being created`);
  return { user: withoutSecrets(raced), created: false };
}

function withoutSecrets(stored: User & { passwordHash: string; tokenVersion: number }): User {
  const { passwordHash: _hash, tokenVersion: _version, ...user } = stored;
  return user;
}

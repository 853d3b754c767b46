import type { LoginThrottle } from '../ports/login-throttle.port';
import type { PasswordHasher } from '../ports/password-hasher.port';
import type { TokenService } from '../ports/token-service.port';
import type { UserRepository } from '../ports/user.repository.port';
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

export async function registerUser(
  deps: AuthDeps,
  input: { email: string; password: string; name: string },
): Promise<Session> {
  const passwordHash = await deps.passwords.hash(input.password);
  const user = await deps.users.insert({
    email: input.email,
    name: input.name,
    passwordHash,
    role: 'customer',
  });
  if (!user) throw new TicketingError('EMAIL_TAKEN', 'An account with this e-mail already exists');
  return { token: await deps.tokens.issue({ userId: user.id, role: user.role }), user };
}

export async function logIn(
  deps: AuthDeps,
  input: { email: string; password: string },
  clientAddress: string,
): Promise<Session> {
  const verdict = await deps.loginThrottle.attempt(clientAddress, input.email);
  if (!verdict.allowed) {
    throw new TicketingError('RATE_LIMITED', 'Too many login attempts; try again later', {
      retryAfterSeconds: verdict.retryAfterSeconds,
    });
  }
  const stored = await deps.users.findByEmail(input.email);
  decoyHash ??= deps.passwords.hash('decoy password for unknown accounts');
  const valid = await deps.passwords.verify(input.password, stored?.passwordHash ?? (await decoyHash));
  if (!stored || !valid) throw new TicketingError('INVALID_CREDENTIALS', 'E-mail or password is wrong');
  await deps.loginThrottle.succeeded(input.email);
  const { passwordHash: _hash, ...user } = stored;
  return { token: await deps.tokens.issue({ userId: user.id, role: user.role }), user };
}

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

/** Makes sure the configured administrator exists with the configured password. */
export async function ensureAdmin(
  deps: Pick<AuthDeps, 'users' | 'passwords'>,
  admin: { email: string; password: string },
): Promise<User> {
  const passwordHash = await deps.passwords.hash(admin.password);
  return deps.users.upsertAdmin({ email: admin.email, name: 'Administrator', passwordHash });
}

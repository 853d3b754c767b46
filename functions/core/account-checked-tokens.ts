import type { AccountStanding, TokenService, TokenSigner } from '../ports/token-service.port';
import type { Principal } from './model';

/** Reads an account's current standing; null when the account no longer exists. */
export type StandingSource = (userId: string) => Promise<AccountStanding | null>;

export interface AccountCheckOptions {
  /** How long one account's standing is trusted before it is read again (ms); default 5,000. */
  ttlMs?: number;
  /** Accounts remembered at most (the oldest are forgotten first); default 10,000. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * The TokenService every caller uses (HTTP, WebSocket connect, Socket.IO, and the gateways' periodic
 * re-check of admin feeds): a token counts only while its signature and expiry hold, its account still
 * exists, and its token version is the account's current one; the role is the account's current role.
 * Standing is cached per account for `ttlMs`, so a demotion, a password change or a deletion takes
 * effect within that many ms on every replica, at one indexed read per account per period.
 */
export class AccountCheckedTokens implements TokenService {
  private readonly cache = new Map<string, { at: number; standing: Promise<AccountStanding | null> }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly signer: TokenSigner,
    private readonly standingOf: StandingSource,
    options: AccountCheckOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  issue(principal: Principal, tokenVersion = 0): Promise<string> {
    return this.signer.issue(principal, tokenVersion);
  }

  /** See TokenService.verify. Rejects only when the account store cannot be read (never for a bad token). */
  async verify(token: string): Promise<Principal | null> {
    const claims = await this.signer.read(token);
    if (!claims) return null;
    const standing = await this.standing(claims.userId);
    if (!standing || standing.tokenVersion !== claims.tokenVersion) return null;
    return { userId: claims.userId, role: standing.role };
  }

  /** Drops what this process remembers of an account (after it changed here). */
  forget(userId: string): void {
    this.cache.delete(userId);
  }

  private standing(userId: string): Promise<AccountStanding | null> {
    const now = this.now();
    const cached = this.cache.get(userId);
    if (cached && now - cached.at < this.ttlMs) return cached.standing;
    const standing = this.standingOf(userId);
    this.cache.delete(userId);
    this.cache.set(userId, { at: now, standing });
    // A failed read is not remembered: the next request asks again.
    standing.catch(() => {
      if (this.cache.get(userId)?.standing === standing) this.cache.delete(userId);
    });
    if (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return standing;
  }
}

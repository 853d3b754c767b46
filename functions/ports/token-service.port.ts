import type { Principal } from '../core/model';

/**
 * Issues and verifies bearer tokens. `verify` answers for the caller as the account stands now (within a
 * few seconds), not as it stood when the token was issued.
 */
export interface TokenService {
  /**
   * Signs a token for `principal`.
   * @param tokenVersion the account's token version (users.token_version, 0 for a new account); a later
   *   change of password or role raises it and ends this token.
   */
  issue(principal: Principal, tokenVersion?: number): Promise<string>;
  /**
   * Resolves to null for any token that is not valid now: bad signature, expired, malformed, wrong
   * algorithm, an account deleted since, or a token version older than the account's. The role is the
   * account's current role, not the one in the token.
   */
  verify(token: string): Promise<Principal | null>;
}

/** What a well-signed, unexpired token says, before the account is consulted. */
export interface TokenClaims extends Principal {
  tokenVersion: number;
  /** When the token runs out (ms since the epoch). */
  expiresAtMs: number;
}

/** The cryptographic half of a TokenService: signatures and expiry only. */
export interface TokenSigner {
  issue(principal: Principal, tokenVersion?: number): Promise<string>;
  /** The claims of a token whose signature, algorithm, issuer and times check out; otherwise null. */
  read(token: string): Promise<TokenClaims | null>;
}

/** The account facts a token is re-checked against. */
export interface AccountStanding {
  role: Principal['role'];
  tokenVersion: number;
}

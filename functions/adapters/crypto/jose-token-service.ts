import type { webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Principal, Role } from '../../core/model';
import type { TokenClaims, TokenSigner } from '../../ports/token-service.port';

const ISSUER = 'concert-ticket-system';
const ALGORITHM = 'HS256';
const ROLES: readonly string[] = ['customer', 'staff', 'admin'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Tokens whose verified claims are remembered (a fan's token is checked on each of their requests). */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * HS256 JWTs (RFC 7519): `sub` is the user id, `role` the role at issue, `ver` the account's token
 * version. Only HS256 is accepted (never `none`). Lifetime 12 h by default (s).
 * A token that verified is remembered, by its exact text, until its `exp`: the same bytes under the same
 * key verify the same way, so the HMAC (a WebCrypto job, a fifth of the shim's CPU during a flash sale,
 * issue 19) runs once per token, not per request. Whether the account still stands is checked by the
 * caller (AccountCheckedTokens) every time.
 */
export class JoseTokenService implements TokenSigner {
  private readonly key: Uint8Array<ArrayBuffer>;
  /**
   * The secret imported once as a WebCrypto key: given raw bytes, jose imports them again for every
   * sign and verify (found by bench/waiting-room.ts's profile: a fifth of each new fan's verification).
   */
  private hmacKey: Promise<webcrypto.CryptoKey> | undefined;
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    secret: string,
    private readonly lifetimeSeconds = 12 * 60 * 60,
    private readonly now: () => number = Date.now,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(principal: Principal, tokenVersion = 0): Promise<string> {
    return new SignJWT({ role: principal.role, ver: tokenVersion })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(principal.userId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.lifetimeSeconds}s`)
      .sign(await this.signingKey());
  }

  private signingKey(): Promise<webcrypto.CryptoKey> {
    this.hmacKey ??= crypto.subtle.importKey('raw', this.key, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    return this.hmacKey;
  }

  async read(token: string): Promise<TokenClaims | null> {
    const known = this.verified.get(token);
    if (known) {
      if (this.now() < known.expiresAtMs) return { ...known };
      this.verified.delete(token);
      return null;
    }
    const claims = await this.verify(token);
    if (claims) {
      if (this.verified.size >= VERIFIED_TOKENS_KEPT) {
        // Forget the oldest remembered token (a Map iterates in insertion order).
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) this.verified.delete(oldest);
      }
      this.verified.set(token, { ...claims });
    }
    return claims;
  }

  private async verify(token: string): Promise<TokenClaims | null> {
    try {
      const { payload } = await jwtVerify(token, await this.signingKey(), {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
      });
      const { role, ver = 0, exp } = payload;
      // A token with an audience was made for something else (a queue admission): never a session.
      if (payload.aud !== undefined) return null;
      if (
        typeof payload.sub !== 'string' ||
        !UUID.test(payload.sub) ||
        typeof role !== 'string' ||
        !ROLES.includes(role)
      )
        return null;
      if (typeof ver !== 'number' || !Number.isInteger(ver) || typeof exp !== 'number') return null;
      return { userId: payload.sub, role: role as Role, tokenVersion: ver, expiresAtMs: exp * 1000 };
    } catch {
      return null;
    }
  }
}

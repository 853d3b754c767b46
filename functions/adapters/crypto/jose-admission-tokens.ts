import { jwtVerify, SignJWT } from 'jose';
import type { AdmissionClaims, AdmissionTokens } from '../../ports/waiting-room.store.port';

const ISSUER = 'concert-ticket-system';
/** Its own audience: a session token (no audience) is never an admission, nor an admission a session. */
export const ADMISSION_AUDIENCE = 'concert-ticket-system:queue-admission';
const ALGORITHM = 'HS256';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Admission tokens as HS256 JWTs (RFC 7519) signed with the service's JWT secret: `sub` the fan, `cid`
 * the concert, `aud` ADMISSION_AUDIENCE, `exp` the end of the admission window (s since the epoch,
 * rounded down). Self-contained: valid without the queue's store, so a fan admitted before a store loss
 * keeps the right to buy. Only HS256 is accepted (never `none`).
 */
export class JoseAdmissionTokens implements AdmissionTokens {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  issue(claims: AdmissionClaims): Promise<string> {
    return new SignJWT({ cid: claims.concertId, purpose: 'queue-admission' })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(ADMISSION_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(claims.expiresAtMs / 1000))
      .sign(this.key);
  }

  async verify(token: string): Promise<AdmissionClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: ADMISSION_AUDIENCE,
        requiredClaims: ['exp', 'sub'],
      });
      const { sub, cid, exp, purpose } = payload;
      if (typeof sub !== 'string' || !UUID.test(sub) || typeof cid !== 'string' || !UUID.test(cid))
        return null;
      if (purpose !== 'queue-admission' || typeof exp !== 'number') return null;
      return { userId: sub, concertId: cid, expiresAtMs: exp * 1000 };
    } catch {
      return null;
    }
  }
}

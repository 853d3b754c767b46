import { jwtVerify, SignJWT } from 'jose';
import type { Principal } from '../core/model';
import type { TokenService } from '../ports/token-service.port';

const ISSUER = 'concert-ticket-system';
const ALGORITHM = 'HS256';

/** HS256 JWTs: `sub` is the user id, `role` the role. Only HS256 is accepted (never `none`). */
export class JoseTokenService implements TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly lifetimeSeconds = 12 * 60 * 60,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  issue(principal: Principal): Promise<string> {
    return new SignJWT({ role: principal.role })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(principal.userId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.lifetimeSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<Principal | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM], issuer: ISSUER });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || (role !== 'customer' && role !== 'admin')) return null;
      return { userId: payload.sub, role };
    } catch {
      return null;
    }
  }
}

import type { Principal } from '../core/model';

export interface TokenService {
  issue(principal: Principal): Promise<string>;
  /** Resolves to null for any token that is not valid now (bad signature, expired, malformed, wrong algorithm). */
  verify(token: string): Promise<Principal | null>;
}

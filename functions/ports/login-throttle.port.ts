export interface ThrottleVerdict {
  allowed: boolean;
  /** When refused: seconds until a try may succeed (for Retry-After); 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * Slows password guessing and sign-up floods without letting anyone lock an owner out. `account` is
 * always the canonical e-mail (core/email-address.ts); `clientAddress` the caller's IP address.
 */
export interface LoginThrottle {
  /** Before a password is checked: may this address try this account now? Counts one try of the address. */
  attempt(clientAddress: string, account: string): Promise<ThrottleVerdict>;
  /** The password was wrong (or the account unknown). */
  failed(clientAddress: string, account: string): Promise<void>;
  /** The password was right: this address's failures on the account are forgiven and it becomes known. */
  succeeded(clientAddress: string, account: string): Promise<void>;
  /** Before a sign-up: counts one sign-up of the address. */
  registration(clientAddress: string): Promise<ThrottleVerdict>;
}

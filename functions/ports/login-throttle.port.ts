export interface ThrottleVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

/** Counts login attempts per client address and per account. */
export interface LoginThrottle {
  attempt(clientAddress: string, email: string): Promise<ThrottleVerdict>;
  succeeded(email: string): Promise<void>;
}

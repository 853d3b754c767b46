/** Slow, salted password hashing. Either call may refuse with SERVICE_UNAVAILABLE when hashing is saturated. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

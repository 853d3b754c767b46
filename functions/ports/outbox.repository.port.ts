import type { Email } from './mailer.port';

export interface QueuedEmail extends Email {
  /** "Send this once": a second enqueue with the same key is ignored. */
  dedupeKey: string;
}

export interface ClaimedEmail extends Email {
  id: string;
  /** Attempts so far, this one included (1 on the first). */
  attempts: number;
  /** The claim this e-mail was taken under (a UUID, one per `claim` call): only its holder may mark it. */
  claimToken: string;
}

/**
 * The e-mail outbox. A claim is a token with a time limit: the sender renews it (`extendClaim`) for as long
 * as it works, and every mark checks the token, so a sender that lost its claim (it ran out unrenewed and
 * another sender took the e-mail) changes nothing and learns it must stop.
 */
export interface OutboxRepository {
  /** Returns how many were new. */
  enqueue(emails: QueuedEmail[]): Promise<number>;
  /**
   * Takes up to `limit` due e-mails (fewer than `maxAttempts` attempts) for `leaseSeconds` (s) under one new
   * claim token; an e-mail whose claim ran out unrenewed (a sender that died or stalled) is due again.
   */
  claim(limit: number, leaseSeconds: number, maxAttempts: number): Promise<ClaimedEmail[]>;
  /**
   * Renews the claim `claimToken` for another `leaseSeconds` (s) from now on the e-mails it still holds
   * (claimed, not yet marked, not taken by another claim); returns their ids.
   */
  extendClaim(claimToken: string, leaseSeconds: number): Promise<string[]>;
  /** Marks `id` sent if `claimToken` still holds it; false: the claim was lost, nothing changed. */
  markSent(id: string, claimToken: string): Promise<boolean>;
  /**
   * Records a failed attempt on `id` if `claimToken` still holds it: due again in `retryInSeconds` (s), or
   * given up (status dead) when null. False: the claim was lost, nothing changed.
   */
  markFailed(id: string, claimToken: string, error: string, retryInSeconds: number | null): Promise<boolean>;
  /**
   * Gives back the e-mails `ids` (never tried under this claim) that `claimToken` still holds: due at once,
   * their attempt not counted. Returns how many.
   */
  releaseClaim(claimToken: string, ids: string[]): Promise<number>;
}

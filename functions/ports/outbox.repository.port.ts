import type { Email } from './mailer.port';

export interface QueuedEmail extends Email {
  /** "Send this once": a second enqueue with the same key is ignored. */
  dedupeKey: string;
}

export interface ClaimedEmail extends Email {
  id: string;
  attempts: number;
}

export interface OutboxRepository {
  /** Returns how many were new. */
  enqueue(emails: QueuedEmail[]): Promise<number>;
  /** Takes due e-mails for `leaseSeconds`; a sender that dies leaves them to be claimed again after. */
  claim(limit: number, leaseSeconds: number, maxAttempts: number): Promise<ClaimedEmail[]>;
  markSent(id: string): Promise<void>;
  /** `retryAt` null: give up (status dead). */
  markFailed(id: string, error: string, retryInSeconds: number | null): Promise<void>;
}

import { describe, expect, it } from 'vitest';
import { ScryptPasswordHasher } from '../../functions/adapters/crypto/scrypt-password-hasher';
import { TicketingError } from '../../functions/core/errors';

describe('ScryptPasswordHasher', () => {
  it('hashes and verifies', async () => {
    const hasher = new ScryptPasswordHasher();
    const stored = await hasher.hash('correct horse');
    expect(await hasher.verify('correct horse', stored)).toBe(true);
    expect(await hasher.verify('wrong horse', stored)).toBe(false);
  });

  it('bounds concurrent hashing: a full queue refuses at once with SERVICE_UNAVAILABLE and a retry time', async () => {
    const hasher = new ScryptPasswordHasher({ concurrency: 1, queueLimit: 2 });
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => hasher.hash(`pw ${i}`)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(refusals).toHaveLength(3);
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(TicketingError);
      expect(refusal).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryAfterSeconds: 1 } });
    }
    // The slots are given back: the next hash goes through.
    await expect(hasher.hash('after the burst')).resolves.toMatch(/^scrypt\$/);
  });
});

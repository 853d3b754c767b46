import { describe, expect, it } from 'vitest';
import { JoseTokenService } from '../../functions/adapters/crypto/jose-token-service';
import { AccountCheckedTokens } from '../../functions/core/account-checked-tokens';
import { canonicalEmail } from '../../functions/core/email-address';
import type { AccountStanding } from '../../functions/ports/token-service.port';

const USER = '00000000-0000-4000-8000-000000000001';

describe('AccountCheckedTokens', () => {
  const setUp = () => {
    const accounts = new Map<string, AccountStanding>([[USER, { role: 'admin', tokenVersion: 0 }]]);
    let now = 1_000_000;
    let reads = 0;
    const tokens = new AccountCheckedTokens(
      new JoseTokenService('k3y-'.padEnd(40, '9f8e7d6c5b4a')),
      async (userId) => {
        reads++;
        return accounts.get(userId) ?? null;
      },
      { ttlMs: 5_000, now: () => now },
    );
    return { accounts, tokens, advance: (ms: number) => (now += ms), reads: () => reads };
  };

  it('answers with the current role once the cached standing is older than its ttl', async () => {
    const { accounts, tokens, advance } = setUp();
    const token = await tokens.issue({ userId: USER, role: 'admin' });
    expect(await tokens.verify(token)).toEqual({ userId: USER, role: 'admin' });
    accounts.set(USER, { role: 'customer', tokenVersion: 0 });
    advance(5_000);
    expect(await tokens.verify(token)).toEqual({ userId: USER, role: 'customer' });
  });

  it('refuses the token of a deleted account and one issued under an older token version', async () => {
    const { accounts, tokens, advance } = setUp();
    const old = await tokens.issue({ userId: USER, role: 'admin' }, 0);
    accounts.set(USER, { role: 'admin', tokenVersion: 1 });
    advance(5_000);
    expect(await tokens.verify(old)).toBeNull();
    expect(await tokens.verify(await tokens.issue({ userId: USER, role: 'admin' }, 1))).not.toBeNull();
    accounts.delete(USER);
    advance(5_000);
    expect(await tokens.verify(await tokens.issue({ userId: USER, role: 'admin' }, 1))).toBeNull();
  });

  it('reads an account once per ttl however many requests verify its token', async () => {
    const { tokens, reads } = setUp();
    const token = await tokens.issue({ userId: USER, role: 'admin' });
    await Promise.all(Array.from({ length: 20 }, () => tokens.verify(token)));
    expect(reads()).toBe(1);
  });
});

describe('canonicalEmail', () => {
  it('gives one spelling per identity and is idempotent', () => {
    expect(canonicalEmail('  Ada@Example.TEST ')).toBe('ada@example.test');
    expect(canonicalEmail('ａｄａ@example.test')).toBe('ada@example.test');
    // JavaScript's case mapping keeps the dot of İ (PostgreSQL's lower() under C.UTF-8 drops it).
    expect(canonicalEmail('admİn@example.com')).not.toBe('admin@example.com');
    for (const raw of ['admİn@example.com', 'ẞ@x.de', 'K@x.de', 'ﬀ@x.de', 'Ǆ@x.de']) {
      expect(canonicalEmail(canonicalEmail(raw))).toBe(canonicalEmail(raw));
    }
  });
});

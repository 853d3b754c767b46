import { describe, expect, it } from 'vitest';
import { JoseTokenService } from '../../functions/adapters/crypto/jose-token-service';

// Issue 19: the HMAC of every request's token was a fifth of the shim's CPU during a flash sale. A token
// that verified is remembered until its `exp`; nothing else about verification changes.
const SECRET = 'k3y-'.padEnd(40, '9f8e7d6c5b4a');
const fan = { userId: '0b5d2f0e-8c1a-4c47-9f3e-2a6d7c8b9e01', role: 'customer' as const };

describe('remembered token verifications', () => {
  it('answers a remembered token only until it expires', async () => {
    let now = Date.now();
    const tokens = new JoseTokenService(SECRET, 60, () => now);
    const token = await tokens.issue(fan, 3);
    const first = await tokens.read(token);
    expect(first).toMatchObject({ userId: fan.userId, role: 'customer', tokenVersion: 3 });
    expect(await tokens.read(token)).toEqual(first);
    now = (first?.expiresAtMs ?? 0) + 1;
    expect(await tokens.read(token)).toBeNull();
  });

  it('never answers for a token that differs from a remembered one, by a single character', async () => {
    const tokens = new JoseTokenService(SECRET);
    const token = await tokens.issue(fan);
    expect(await tokens.read(token)).not.toBeNull();
    // A character inside the signature (the last one carries unused bits).
    const at = token.length - 10;
    const other = token[at] === 'A' ? 'B' : 'A';
    expect(await tokens.read(`${token.slice(0, at)}${other}${token.slice(at + 1)}`)).toBeNull();
    const otherKey = new JoseTokenService('another-'.padEnd(40, 'x'));
    expect(await otherKey.read(token)).toBeNull();
  });
});

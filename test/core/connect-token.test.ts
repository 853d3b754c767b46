import { describe, expect, it } from 'vitest';
import { connectToken } from '../../functions/core/connect-token';

describe('connectToken: one token at connect, from the query or a Bearer header', () => {
  it('takes the query or the header, and both when they agree', () => {
    expect(connectToken(['a'], undefined)).toEqual({ token: 'a' });
    expect(connectToken([], 'Bearer b')).toEqual({ token: 'b' });
    expect(connectToken(['c'], 'bearer c')).toEqual({ token: 'c' });
    expect(connectToken([''], undefined)).toEqual({ token: undefined });
    expect(connectToken([], 'Basic dXNlcjpwdw==')).toEqual({ token: undefined });
  });

  it('refuses a repeated parameter, a malformed Bearer header and two tokens that disagree', () => {
    expect(connectToken(['a', 'b'], undefined).refused).toMatch(/repeated/);
    expect(connectToken([], 'Bearer two words').refused).toMatch(/Bearer <token>/);
    expect(connectToken(['a'], 'Bearer b').refused).toMatch(/different tokens/);
  });
});

import { describe, expect, it } from 'vitest';
import { addressBlock } from '../../functions/adapters/node/address-block';
import { RateLimiterLoginThrottle } from '../../functions/adapters/redis/rate-limiter-login-throttle';
import { clientAddressOf } from '../../local/shim/client-address';

describe('per-address limits count an IPv6 client by its /64 (review finding: 2^64 fresh addresses)', () => {
  it('keys IPv4 as it is and IPv6 by its /64, however it is written', () => {
    expect(addressBlock('203.0.113.9')).toBe('203.0.113.9');
    expect(addressBlock('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressBlock('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressBlock('2001:0db8:0001:0002:ffff::')).toBe('2001:db8:1:2::/64');
    expect(addressBlock('::1')).toBe('0:0:0:0::/64');
    expect(addressBlock('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(addressBlock('unknown')).toBe('unknown');
  });

  it('stops one /64 guessing at an account, whichever of its addresses it uses', async () => {
    const throttle = new RateLimiterLoginThrottle({
      perAddressPerMinute: 100,
      failuresPerAccountAndAddress: 3,
      accountFailuresBeforeSlowDown: 1_000,
      slowDownSeconds: 60,
      registrationsPerAddressPerMinute: 2,
    });
    for (let i = 1; i <= 3; i++) {
      expect((await throttle.attempt(`2001:db8:1:2::${i}`, 'owner@x.test')).allowed).toBe(true);
      await throttle.failed(`2001:db8:1:2::${i}`, 'owner@x.test');
    }
    expect((await throttle.attempt('2001:db8:1:2::99', 'owner@x.test')).allowed).toBe(false);
    expect((await throttle.attempt('2001:db8:1:3::1', 'owner@x.test')).allowed).toBe(true);
    expect((await throttle.registration('2001:db8:9:9::1')).allowed).toBe(true);
    expect((await throttle.registration('2001:db8:9:9::2')).allowed).toBe(true);
    expect((await throttle.registration('2001:db8:9:9::3')).allowed).toBe(false);
  });
});

describe('_attack F6_: an address written with brackets, a port or IPv4 inside IPv6 counts where it belongs', () => {
  it('counts bracketed and ported IPv6 under its /64, ported IPv4 as the address', () => {
    expect(addressBlock('[2001:db8:1:2::1]')).toBe('2001:db8:1:2::/64');
    expect(addressBlock('[2001:db8:1:2::7]:443')).toBe('2001:db8:1:2::/64');
    expect(addressBlock('203.0.113.9:5000')).toBe('203.0.113.9');
    expect(addressBlock('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('counts IPv4-mapped and IPv4-compatible IPv6 as their IPv4 address, not one shared ::/64', () => {
    expect(addressBlock('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressBlock('::ffff:cb00:7109')).toBe('203.0.113.9');
    expect(addressBlock('::203.0.113.9')).toBe('203.0.113.9');
    expect(addressBlock('[::ffff:198.51.100.1]:80')).toBe('198.51.100.1');
    expect(addressBlock('::ffff:198.51.100.1')).not.toBe(addressBlock('::ffff:203.0.113.9'));
    expect(addressBlock('::1')).toBe('0:0:0:0::/64');
    expect(addressBlock('::')).toBe('0:0:0:0::/64');
  });

  it('gives the shim the same canonical address from X-Forwarded-For (TRUST_PROXY)', () => {
    const of = clientAddressOf(1);
    const from = (header: string) =>
      of({ headers: { 'x-forwarded-for': header }, socket: { remoteAddress: '10.0.0.1' } } as never);
    expect(from('[2001:db8:1:2::1]')).toBe('2001:db8:1:2::1');
    expect(from('[2001:db8:1:2::1]:8443')).toBe('2001:db8:1:2::1');
    expect(from('198.51.100.7:1234')).toBe('198.51.100.7');
    expect(from('::ffff:cb00:7109')).toBe('203.0.113.9');
  });
});

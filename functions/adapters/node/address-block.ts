import { isIPv6 } from 'node:net';

/**
 * The key a per-address limit counts a client by: an IPv4 address as it is, an IPv6 address by its /64
 * network, the block one subscriber usually holds (RFC 6177 §2; RFC 7421: /64 is the standard subnet), so
 * stepping through the 2^64 addresses of one's own network does not reset a limit.
 *
 * @param address an IPv4 or IPv6 address as `clientAddress` gives it (or 'unknown')
 * @returns e.g. `203.0.113.9` or `2001:db8:1:2::/64`; anything else unchanged
 */
export function addressBlock(address: string): string {
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  const network = groups.slice(0, 4).map((group) => Number.parseInt(group || '0', 16).toString(16));
  return `${network.join(':')}::/64`;
}

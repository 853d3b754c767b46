import { isIPv4, isIPv6 } from 'node:net';

/**
 * A client address as a proxy may have written it (`X-Forwarded-For` entries are free text), reduced to
 * the address itself: brackets and a port stripped (`[2001:db8::1]`, `[2001:db8::1]:443`,
 * `203.0.113.9:5000`), a zone id dropped (`fe80::1%eth0`), and an IPv4 address carried in IPv6 unwrapped:
 * IPv4-mapped `::ffff:a.b.c.d` or `::ffff:cb00:7109` (RFC 4291 §2.5.5.2) and the deprecated
 * IPv4-compatible `::a.b.c.d` (§2.5.5.1; `::` and `::1` stay IPv6) count as `a.b.c.d`.
 *
 * @param address anything (req.ip, a socket's remoteAddress, a header entry)
 * @returns an IPv4 address, an IPv6 address (as written, less brackets/port/zone), or the input trimmed
 *   when it is neither. Never throws.
 */
export function canonicalAddress(address: string): string {
  let text = address.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1] as string;
  else {
    const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text);
    if (v4WithPort) text = v4WithPort[1] as string;
  }
  const zone = text.indexOf('%');
  if (zone > 0 && isIPv6(text)) text = text.slice(0, zone);
  if (!isIPv6(text)) return text;
  const groups = ipv6Groups(text);
  const zeroHead = groups.slice(0, 5).every((group) => group === 0);
  const mapped = zeroHead && groups[5] === 0xffff;
  const compatible = zeroHead && groups[5] === 0 && (groups[6] as number) !== 0;
  if (mapped || compatible) {
    const high = groups[6] as number;
    const low = groups[7] as number;
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return text;
}

/** The eight 16-bit groups of a valid IPv6 address (a dotted IPv4 tail counts as the last two). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted && isIPv4(dotted[1] as string)) {
    const [a, b, c, d] = (dotted[1] as string).split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail = ''] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = text.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return groups.map((group) => Number.parseInt(group || '0', 16));
}

/**
 * The key a per-address limit counts a client by: an IPv4 address as it is, an IPv6 address by its /64
 * network, the block one subscriber usually holds (RFC 6177 §2; RFC 7421: /64 is the standard subnet), so
 * stepping through the 2^64 addresses of one's own network does not reset a limit. The address is first
 * made canonical (`canonicalAddress`): a bracketed or ported form counts under its /64, an IPv4 address
 * carried in IPv6 as that IPv4 address.
 *
 * @param address an IPv4 or IPv6 address as `clientAddress` gives it (or 'unknown')
 * @returns e.g. `203.0.113.9` or `2001:db8:1:2::/64`; anything else unchanged (trimmed)
 */
export function addressBlock(address: string): string {
  const canonical = canonicalAddress(address);
  if (!isIPv6(canonical)) return canonical;
  const network = ipv6Groups(canonical)
    .slice(0, 4)
    .map((group) => group.toString(16));
  return `${network.join(':')}::/64`;
}

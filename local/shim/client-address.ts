import type { Request } from 'express';

/**
 * The address of the client behind a request, as the per-address limits (login, register, WebSocket
 * connections) key it.
 *
 * Express derives `req.ip` from the socket address and, only for the hops named by the app's
 * `trust proxy` setting (config `trustProxy`, env `TRUST_PROXY`, default none), from the right-most
 * `X-Forwarded-For` entries (RFC 7239 §5.2 semantics: each trusted proxy appends the address it saw).
 * With no trusted hop, a client-supplied `X-Forwarded-For` is ignored.
 *
 * @param req an Express request whose app has `trust proxy` set (see `createHttpApp`)
 * @returns an IPv4 or IPv6 address (IPv4-mapped IPv6 `::ffff:a.b.c.d` unwrapped to `a.b.c.d`), or
 *   `'unknown'` when the socket is already closed and no address is known. Never throws.
 */
export function clientAddress(req: Pick<Request, 'ip' | 'socket'>): string {
  const address = req.ip ?? req.socket?.remoteAddress;
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

import type { IncomingMessage } from 'node:http';
import express, { type Request } from 'express';
import { canonicalAddress } from '../../functions/adapters/node/address-block';
import type { ServiceConfig } from '../../functions/config/service-config';

/**
 * The address of the client behind a request, as the per-address limits (login, register, WebSocket
 * connections) key it.
 *
 * Express derives `req.ip` from the socket address and, only for the hops named by the app's
 * `trust proxy` setting (config `trustProxy`, env `TRUST_PROXY`, default none), from the right-most
 * `X-Forwarded-For` entries (each trusted proxy appends the address it saw; see
 * expressjs.com/en/guide/behind-proxies.html). With no trusted hop, a client-supplied `X-Forwarded-For`
 * is ignored.
 *
 * @param req an Express request whose app has `trust proxy` set (see `createHttpApp`)
 * @returns an IPv4 or IPv6 address made canonical by `canonicalAddress` (brackets and ports stripped,
 *   IPv4-mapped and IPv4-compatible IPv6 unwrapped to `a.b.c.d`), or
 *   `'unknown'` when the socket is already closed and no address is known. Never throws.
 */
export function clientAddress(req: Pick<Request, 'ip' | 'socket'>): string {
  return normalised(req.ip ?? req.socket?.remoteAddress);
}

/**
 * `clientAddress` for a bare Node request that never went through Express (a WebSocket upgrade, a
 * Socket.IO handshake), judged by the same `trust proxy` rule.
 *
 * @param trustProxy config `trustProxy`: false = none, a number of hops, or addresses/CIDRs/named subnets
 * @returns a function from an `IncomingMessage` to its client address (as `clientAddress`). Never throws.
 */
export function clientAddressOf(
  trustProxy: ServiceConfig['trustProxy'],
): (req: Pick<IncomingMessage, 'headers' | 'socket'>) => string {
  const app = express();
  app.set('trust proxy', trustProxy);
  return (req) => {
    // Express's own `ip` getter (proxy-addr under the app's compiled trust function) on a view of `req`.
    const view = Object.create(app.request, {
      headers: { value: req.headers },
      socket: { value: req.socket },
      connection: { value: req.socket },
    }) as Request;
    try {
      return clientAddress(view);
    } catch {
      return normalised(req.socket?.remoteAddress);
    }
  };
}

function normalised(address: string | undefined): string {
  if (!address) return 'unknown';
  return canonicalAddress(address) || 'unknown';
}

import { describe, expect, it } from 'vitest';
import { MemoryConnectionRegistry } from '../../functions/adapters/memory/memory-connection-registry';
import { TicketingError } from '../../functions/core/errors';
import type { Principal } from '../../functions/core/model';
import {
  adminFeedStillAllowed,
  connectWatcher,
  joinAdmins,
  mayWatchAdmins,
} from '../../functions/core/watchers.service';
import type { TokenService } from '../../functions/ports/token-service.port';

/** Tokens named after what they verify as: `admin`, `customer`; anything else does not verify. */
const tokens: TokenService = {
  issue: async () => 'unused',
  verify: async (token) =>
    token === 'admin' || token === 'customer'
      ? ({ userId: `${token}-id`, role: token } satisfies Principal)
      : null,
};

const refusal = async (work: Promise<unknown>) => {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  return error instanceof TicketingError ? error.code : error;
};

/** The one admin rule, whichever way a transport hands over the token (at connect, or with the join). */
describe('the admin rule of the watcher use cases', () => {
  it('lets only a principal with the admin role watch the admin feed', () => {
    expect(mayWatchAdmins({ userId: 'a', role: 'admin' })).toBe(true);
    expect(mayWatchAdmins({ userId: 'c', role: 'customer' })).toBe(false);
    expect(mayWatchAdmins(null)).toBe(false);
  });

  it('decides alike from the token found at connect (raw /ws) and from the token sent with the join (Socket.IO)', async () => {
    const registry = new MemoryConnectionRegistry();
    const deps = { registry, tokens };
    for (const [id, token] of [
      ['raw-admin', 'admin'],
      ['raw-customer', 'customer'],
      ['raw-none', undefined],
    ] as const)
      await connectWatcher(deps, id, token);
    for (const id of ['sio-admin', 'sio-customer', 'sio-bad', 'sio-none'])
      await registry.register(id, { userId: null, admin: false });

    expect(await refusal(joinAdmins(deps, 'raw-admin'))).toBeUndefined();
    expect(await refusal(joinAdmins(deps, 'sio-admin', 'admin'))).toBeUndefined();
    expect(await refusal(joinAdmins(deps, 'raw-customer'))).toBe('FORBIDDEN');
    expect(await refusal(joinAdmins(deps, 'sio-customer', 'customer'))).toBe('FORBIDDEN');
    expect(await refusal(joinAdmins(deps, 'raw-none'))).toBe('FORBIDDEN');
    expect(await refusal(joinAdmins(deps, 'sio-bad', 'forged'))).toBe('FORBIDDEN');
    expect(await refusal(joinAdmins(deps, 'sio-none'))).toBe('FORBIDDEN');
    expect(new Set(await registry.admins())).toEqual(new Set(['raw-admin', 'sio-admin']));
  });

  it('keeps a feed only while its token still verifies as an admin’s', async () => {
    expect(await adminFeedStillAllowed({ tokens }, 'admin')).toBe(true);
    expect(await adminFeedStillAllowed({ tokens }, 'customer')).toBe(false);
    expect(await adminFeedStillAllowed({ tokens }, undefined)).toBe(false);
  });
});

import type { PushFailureKind } from '../ports/connection-pusher.port';

/**
 * Why a message did not reach a recipient although the run went on: a post failure of that kind after
 * its retries (see {@link PushFailureKind}), `malformed` for a stream entry that does not parse, or
 * `out-of-time` for posts not started before the run's overrun ran out.
 */
export const RELAY_SKIP_REASONS = [
  'too-large',
  'throttled',
  'unavailable',
  'refused',
  'out-of-time',
  'malformed',
] as const satisfies ReadonlyArray<PushFailureKind | 'malformed' | 'out-of-time'>;
export type RelaySkipReason = (typeof RELAY_SKIP_REASONS)[number];

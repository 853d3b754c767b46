import type { RelayStream, StreamEntry } from '../../functions/ports/relay-stream.port';

/**
 * A relay stream holding `entries`, read once (later reads wait `blockMs` and answer nothing); every lease
 * is granted and renewed; `onCommit` hears each position the relay stores.
 */
export function streamOf(
  entries: StreamEntry[],
  onCommit: (position: string) => void = () => {},
): RelayStream {
  let read = false;
  return {
    acquireLease: async () => ({ token: 't', renew: async () => true, release: async () => undefined }),
    position: async () => '0-0',
    read: async (_after: string, _count: number, blockMs: number) => {
      if (read) {
        await new Promise((resolve) => setTimeout(resolve, blockMs));
        return [];
      }
      read = true;
      return entries;
    },
    commit: async (_lease, position) => {
      onCommit(position);
      return true;
    },
  };
}

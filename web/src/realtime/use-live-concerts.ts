import { useEffect, useRef, useState } from 'react';
import { applyConcertUpdate } from '../../../functions/core/realtime';
import type { Concert } from '../api/contract';
import { type LinkState, LiveSocket } from './live-socket';

/** Concerts as loaded over HTTP, kept current by the WebSocket: counts change without a reload. */
export function useLiveConcerts(loaded: Concert[] | null): { concerts: Concert[] | null; link: LinkState } {
  const [concerts, setConcerts] = useState<Concert[] | null>(loaded);
  const [link, setLink] = useState<LinkState>('connecting');
  const socket = useRef<LiveSocket | null>(null);

  // A reload merges: an answer read before a live update but arriving after it never rolls a count back.
  useEffect(
    () =>
      setConcerts((current) => {
        if (!loaded || !current) return loaded;
        const seen = new Map(current.map((concert) => [concert.id, concert]));
        return loaded.map((concert) => {
          const held = seen.get(concert.id);
          return held && held.version > concert.version ? held : concert;
        });
      }),
    [loaded],
  );

  useEffect(() => {
    const live = new LiveSocket((message) => {
      if (message.type !== 'concert-update') return;
      setConcerts((current) => current?.map((concert) => applyConcertUpdate(concert, message)) ?? current);
    }, setLink);
    socket.current = live;
    return () => live.close();
  }, []);

  const ids = loaded?.map((concert) => concert.id).join(',') ?? '';
  useEffect(() => {
    const live = socket.current;
    if (!live || !ids) return;
    const joined = ids.split(',');
    for (const id of joined) live.joinConcert(id);
    return () => {
      for (const id of joined) live.leaveConcert(id);
    };
  }, [ids]);

  return { concerts, link };
}

import { useEffect, useState } from 'react';
import { applyConcertUpdate } from '../../../functions/core/realtime';
import type { Concert } from '../api/contract';
import { type LinkState, LiveSocket } from './live-socket';

/**
 * Concerts as loaded over HTTP, kept current by the WebSocket: counts change without a reload. With a `token`
 * the socket is the signed-in fan's (a page follows the fan's own messages on it, such as `join-queue`, through
 * `live`); a new token opens a new socket.
 */
export function useLiveConcerts(
  loaded: Concert[] | null,
  token: string | null = null,
): { concerts: Concert[] | null; link: LinkState; live: LiveSocket | null } {
  const [concerts, setConcerts] = useState<Concert[] | null>(loaded);
  const [link, setLink] = useState<LinkState>('connecting');
  const [live, setLive] = useState<LiveSocket | null>(null);

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
    const opened = new LiveSocket(
      (message) => {
        if (message.type !== 'concert-update') return;
        setConcerts((current) => current?.map((concert) => applyConcertUpdate(concert, message)) ?? current);
      },
      setLink,
      token,
    );
    setLive(opened);
    return () => opened.close();
  }, [token]);

  const ids = loaded?.map((concert) => concert.id).join(',') ?? '';
  useEffect(() => {
    if (!live || !ids) return;
    const joined = ids.split(',');
    for (const id of joined) live.joinConcert(id);
    return () => {
      for (const id of joined) live.leaveConcert(id);
    };
  }, [ids, live]);

  return { concerts, link, live };
}

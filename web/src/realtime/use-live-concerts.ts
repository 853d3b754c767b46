import { useEffect, useRef, useState } from 'react';
import { applyConcertUpdate } from '../../../functions/core/realtime';
import type { Concert, WaitlistOfferMessage } from '../api/contract';
import { type LinkState, LiveSocket } from './live-socket';

/** A signed-in fan's own live news: the socket connects with their token to get it. */
export interface FanChannel {
  token: string | null;
  onOffer(message: WaitlistOfferMessage): void;
}

/**
 * Concerts as loaded over HTTP, kept current by the WebSocket: counts change without a reload. With `fan`,
 * the socket carries the fan's token and their `waitlist-offer` messages reach `fan.onOffer`; the page follows
 * the fan's other messages on it (`join-queue`) through `live`, the socket now open (a new token opens a new one).
 */
export function useLiveConcerts(
  loaded: Concert[] | null,
  fan?: FanChannel,
): { concerts: Concert[] | null; link: LinkState; live: LiveSocket | null } {
  const [concerts, setConcerts] = useState<Concert[] | null>(loaded);
  const [link, setLink] = useState<LinkState>('connecting');
  const socket = useRef<LiveSocket | null>(null);
  const [live, setLive] = useState<LiveSocket | null>(null);
  /** The concerts joined now, to join again on a new socket. */
  const joinedRef = useRef<string[]>([]);

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

  const onOffer = useRef(fan?.onOffer);
  onOffer.current = fan?.onOffer;
  const token = fan?.token ?? null;
  useEffect(() => {
    const opened = new LiveSocket(
      (message) => {
        if (message.type === 'waitlist-offer') onOffer.current?.(message);
        if (message.type !== 'concert-update') return;
        setConcerts((current) => current?.map((concert) => applyConcertUpdate(concert, message)) ?? current);
      },
      setLink,
      token,
    );
    socket.current = opened;
    setLive(opened);
    // A new socket (another fan signed in) joins what the page shows again.
    for (const id of joinedRef.current) opened.joinConcert(id);
    return () => opened.close();
  }, [token]);

  const ids = loaded?.map((concert) => concert.id).join(',') ?? '';
  useEffect(() => {
    const current = socket.current;
    if (!current || !ids) return;
    const joined = ids.split(',');
    joinedRef.current = joined;
    for (const id of joined) current.joinConcert(id);
    return () => {
      joinedRef.current = [];
      for (const id of joined) socket.current?.leaveConcert(id);
    };
  }, [ids]);

  return { concerts, link, live };
}

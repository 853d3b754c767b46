import { useEffect, useRef, useState } from 'react';
import type { Concert, ConcertUpdateMessage } from '../api/contract';
import { type LinkState, LiveSocket } from './live-socket';

/** Applies an update to a concert unless it is older than what the page holds (versions only grow). */
export function applyUpdate(concert: Concert, update: ConcertUpdateMessage): Concert {
  if (update.concertId !== concert.id || update.version < concert.version) return concert;
  return {
    ...concert,
    version: update.version,
    availableTickets: update.availableTickets,
    totalBooked: update.totalBooked,
    tiers: concert.tiers.map((tier) => {
      const live = update.tiers.find((candidate) => candidate.id === tier.id);
      return live ? { ...tier, available: live.available, capacity: live.capacity } : tier;
    }),
  };
}

/** Concerts as loaded over HTTP, kept current by the WebSocket: counts change without a reload. */
export function useLiveConcerts(loaded: Concert[] | null): { concerts: Concert[] | null; link: LinkState } {
  const [concerts, setConcerts] = useState<Concert[] | null>(loaded);
  const [link, setLink] = useState<LinkState>('connecting');
  const socket = useRef<LiveSocket | null>(null);

  useEffect(() => setConcerts(loaded), [loaded]);

  useEffect(() => {
    const live = new LiveSocket((message) => {
      if (message.type !== 'concert-update') return;
      setConcerts((current) => current?.map((concert) => applyUpdate(concert, message)) ?? current);
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

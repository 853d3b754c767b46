import { useEffect, useState } from 'react';
import { type AdminFeedEntries, EMPTY_FEED, type FeedNotice, withAdminMessage } from './admin-feed-entries';
import { type LinkState, LiveSocket } from './live-socket';

export interface AdminFeedState {
  /** Newest first: notices, and new reservations counted together during a sale (`holds`). */
  notices: FeedNotice[];
  /** New reservations announced since the feed opened (the notices plus the summaries' counts). */
  newReservations: number;
  link: LinkState;
  error?: string;
}

/** The admin notifications (newest first) over a WebSocket opened with the admin's token. */
export function useAdminFeed(token: string | null): AdminFeedState {
  const [entries, setEntries] = useState<AdminFeedEntries>(EMPTY_FEED);
  const [link, setLink] = useState<LinkState>('connecting');
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!token) return;
    const live = new LiveSocket(
      (message) => {
        if (message.type === 'admin-notification' || message.type === 'reservations')
          setEntries((current) => withAdminMessage(current, message));
        else if (message.type === 'error') setError(message.message);
      },
      setLink,
      token,
    );
    live.joinAdmin();
    return () => live.close();
  }, [token]);

  return { ...entries, link, error };
}

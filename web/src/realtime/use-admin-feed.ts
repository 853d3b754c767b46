import { useEffect, useState } from 'react';
import type { AdminNotification } from '../api/contract';
import { type LinkState, LiveSocket } from './live-socket';

const KEEP = 50;

export interface AdminFeedState {
  notices: AdminNotification[];
  link: LinkState;
  error?: string;
}

/** The admin notifications (newest first) over a WebSocket opened with the admin's token. */
export function useAdminFeed(token: string | null): AdminFeedState {
  const [notices, setNotices] = useState<AdminNotification[]>([]);
  const [link, setLink] = useState<LinkState>('connecting');
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!token) return;
    const live = new LiveSocket(
      (message) => {
        if (message.type === 'admin-notification')
          setNotices((current) => [message, ...current].slice(0, KEEP));
        else if (message.type === 'error') setError(message.message);
      },
      setLink,
      token,
    );
    live.joinAdmin();
    return () => live.close();
  }, [token]);

  return { notices, link, error };
}

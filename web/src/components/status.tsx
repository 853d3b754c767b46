import type { ReactNode } from 'react';
import type { LinkState } from '../realtime/live-socket';

/** An error or a success the screen reader announces at once. */
export function Notice({ kind, children }: { kind: 'error' | 'success' | 'info'; children: ReactNode }) {
  if (!children) return null;
  return (
    <p className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

const LINK_TEXT: Record<LinkState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

/** Whether the counts on screen are live. */
export function LinkBadge({ state }: { state: LinkState }) {
  return (
    <span className={`link-badge link-${state}`} data-testid="link-state">
      <span aria-hidden="true">●</span> {LINK_TEXT[state]}
    </span>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

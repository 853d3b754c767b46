import type { ReactNode } from 'react';
import type { LinkState } from '../realtime/live-socket';

/**
 * An error or a success the screen reader announces. The live region stays mounted and only its content
 * changes: readers announce changes to a region they already know, not a region that appears with text.
 */
export function Notice({ kind, children }: { kind: 'error' | 'success' | 'info'; children: ReactNode }) {
  return (
    <div role={kind === 'error' ? 'alert' : 'status'}>
      {children ? <p className={`notice notice-${kind}`}>{children}</p> : null}
    </div>
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

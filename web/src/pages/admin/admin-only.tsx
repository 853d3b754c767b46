import type { ReactNode } from 'react';
import { Link, useLocation } from 'react-router';
import { useSession } from '../../session/session';

/** Organiser pages: anyone else is told why they cannot see them. */
export function AdminOnly({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const location = useLocation();
  if (!user) {
    return (
      <p>
        <Link to={`/login?next=${encodeURIComponent(location.pathname)}`}>Log in</Link> as an organiser to
        continue.
      </p>
    );
  }
  if (user.role !== 'admin') return <p role="alert">Only organisers can see this page.</p>;
  return <>{children}</>;
}

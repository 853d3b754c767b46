import { decodeJwt } from 'jose';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { ApiClient } from '../api/api-client';
import type { SessionResponse, User } from '../api/contract';

const STORAGE_KEY = 'concert-tickets.session';

interface SessionState {
  user: User | null;
  token: string | null;
  api: ApiClient;
  signIn(session: SessionResponse): void;
  signOut(): void;
}

const SessionContext = createContext<SessionState | null>(null);

/** The stored session, unless its token has expired (then it is forgotten). */
function storedSession(): SessionResponse | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    const session = raw ? (JSON.parse(raw) as SessionResponse) : null;
    const expiresAt = session ? decodeJwt(session.token).exp : undefined;
    if (session && expiresAt !== undefined && expiresAt * 1000 <= Date.now()) {
      localStorage.removeItem(STORAGE_KEY);
      return null;
    }
    return session;
  } catch {
    return null;
  }
}

/** Who is signed in (kept in localStorage), and an API client that sends their token. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionResponse | null>(storedSession);
  const signIn = useCallback((next: SessionResponse) => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    setSession(next);
  }, []);
  const signOut = useCallback(() => {
    localStorage.removeItem(STORAGE_KEY);
    setSession(null);
  }, []);
  const token = session?.token ?? null;
  // A refused token means the session is over: the page shows the signed-out state, never a stale one.
  const api = useMemo(() => new ApiClient(() => token, signOut), [token, signOut]);
  const value = useMemo(
    () => ({ user: session?.user ?? null, token, api, signIn, signOut }),
    [session, token, api, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

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

function storedSession(): SessionResponse | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as SessionResponse) : null;
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
  const api = useMemo(() => new ApiClient(() => token), [token]);
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

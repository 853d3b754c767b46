import { decodeJwt } from 'jose';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
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

/** Browsers fire a longer timeout at once: beyond this, the token is checked again later. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** When the token stops being valid (ms since the epoch), if it says. */
function expiryOf(token: string): number | undefined {
  try {
    const exp = decodeJwt(token).exp;
    return exp === undefined ? undefined : exp * 1000;
  } catch {
    return undefined;
  }
}

/** The stored session, unless its token has expired (then it is forgotten). */
function storedSession(): SessionResponse | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    const session = raw ? (JSON.parse(raw) as SessionResponse) : null;
    const expiresAt = session ? expiryOf(session.token) : undefined;
    if (session && expiresAt !== undefined && expiresAt <= Date.now()) {
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
  // The session ends when its token does, even with the page left open: no socket keeps knocking with it.
  useEffect(() => {
    const expiresAt = token ? expiryOf(token) : undefined;
    if (expiresAt === undefined) return;
    const check = () => {
      const left = expiresAt - Date.now();
      if (left <= 0) signOut();
      else timer = setTimeout(check, Math.min(left, MAX_TIMEOUT_MS));
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    check();
    return () => clearTimeout(timer);
  }, [token, signOut]);
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

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, type Session } from './api/client.js';
import { setCsrfToken } from './api/http.js';

interface SessionState {
  /** undefined while the first `GET /api/session` is in flight; null when signed out. */
  session: Session | null | undefined;
  signIn(apiKey: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/** Holds the session (and its CSRF token, in memory only), re-fetched on every page load. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  const accept = useCallback((s: Session | null) => {
    setCsrfToken(s?.csrfToken);
    setSession(s);
  }, []);

  useEffect(() => {
    // 401 means signed out; any other failure shows the sign-in form too (it reports its own errors).
    api.getSession().then(accept, () => accept(null));
  }, [accept]);

  const signIn = useCallback(async (apiKey: string) => accept(await api.signIn(apiKey)), [accept]);
  const signOut = useCallback(async () => {
    try {
      await api.signOut();
    } finally {
      accept(null);
    }
  }, [accept]);

  const value = useMemo(() => ({ session, signIn, signOut }), [session, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

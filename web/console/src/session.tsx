// Who is signed in: the user and the CSRF token from login, TOTP or /api/auth/me. A 401 anywhere clears it,
// which brings the login page back.
import { createContext, useContext } from 'react';
import type { Session } from './schemas';

export interface SessionContext {
  session: Session;
  /** Re-reads /api/auth/me (after a change to the user's own account). */
  refresh(): Promise<void>;
  logout(): Promise<void>;
}

export const SessionCtx = createContext<SessionContext | null>(null);

export function useSession(): SessionContext {
  const s = useContext(SessionCtx);
  if (!s) throw new Error('useSession outside a signed-in layout');
  return s;
}

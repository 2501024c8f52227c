import { createContext, useContext } from 'react';
import type { Identity } from './api/auth';

export interface SessionContext {
  identity: Identity;
  signOut: (everywhere?: boolean) => Promise<void>;
  /** Reads the session again (after turning on two-factor authentication the account required). */
  refresh: () => Promise<void>;
}

export const Session = createContext<SessionContext | null>(null);

export function useSession(): SessionContext {
  const session = useContext(Session);
  if (!session) throw new Error('useSession outside the signed-in app');
  return session;
}

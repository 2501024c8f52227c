// The console's one authentication module: every request and the live stream get their credentials here.
// Two ways in: a user's session (POST /v1/sessions: an HttpOnly cookie plus a CSRF token for writes), or an
// API key (development, tests, automation: sent as a Bearer header, kept in this tab's sessionStorage only).
import { ApiProblem } from './problem';

export type Credentials = { kind: 'key'; key: string } | { kind: 'session'; csrfToken: string };

export interface Identity {
  via: 'key' | 'session';
  /** `admin`: the platform operator (admin area); `account`: a tenant's user or key. */
  kind: 'admin' | 'account';
  accountId: string | null;
  accountName: string | null;
  /** Who is signed in, as shown in the header. */
  label: string;
  /** The key's scopes, or those of the user's role (`admin` for the platform admin). */
  scopes: readonly string[];
  /** May change the fleet (the `write` scope: every role but viewer). */
  canWrite: boolean;
  /** A signed-in person (not a key). */
  userId?: string;
  role?: string;
  email?: string;
  /** The account requires two-factor authentication… */
  mfaRequired?: boolean;
  /** …and this user has it on (or not: then only their own settings answer until they do). */
  mfaEnabled?: boolean;
}

/** Whether the signed-in key or user holds a scope; the platform admin may also use an account's users, keys and audit routes. */
export function can(identity: Identity, scope: 'read' | 'write' | 'mqtt' | 'keys' | 'audit' | 'users' | 'admin'): boolean {
  if (identity.kind === 'admin') return scope !== 'mqtt';
  if (scope === 'read') return identity.scopes.includes('read') || identity.scopes.includes('write');
  return identity.scopes.includes(scope);
}

/** Signed in, but the account requires two-factor authentication this user has not turned on yet. */
export const mustEnrolMfa = (identity: Identity): boolean => identity.via === 'session' && Boolean(identity.mfaRequired && !identity.mfaEnabled);

export interface SessionBody {
  user: {
    id: string;
    email: string;
    name: string | null;
    role: string;
    accountId: string | null;
    accountName: string | null;
    platformAdmin: boolean;
    mfaEnabled: boolean;
    mfaRequired: boolean;
    scopes: string[];
  };
  csrfToken: string;
  expiresAt: string;
}

const KEY_STORAGE = 'simfleet.apiKey';
let credentials: Credentials | null = null;
const listeners = new Set<() => void>();

export const currentCredentials = (): Credentials | null => credentials;

/** Called when the API answers 401: the session ended; the app goes back to the sign-in page. */
export function onSignedOut(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function signedOut(): void {
  credentials = null;
  sessionStorage.removeItem(KEY_STORAGE);
  for (const listener of listeners) listener();
}

/** Headers that authenticate a request (`write`: a state-changing one, which a cookie session must prove with its CSRF token). */
export function authHeaders(write: boolean): Record<string, string> {
  if (!credentials) return {};
  if (credentials.kind === 'key') return { authorization: `Bearer ${credentials.key}` };
  return write ? { 'x-csrf-token': credentials.csrfToken } : {};
}

export async function problemOf(response: Response): Promise<ApiProblem> {
  const body = (await response.json().catch(() => ({}))) as { title?: string; detail?: string; errors?: ApiProblem['errors']; type?: string };
  return new ApiProblem(response.status, body.title ?? response.statusText, body.detail ?? '', body.errors ?? [], body.type ?? '');
}

const identityOfSession = (body: SessionBody): Identity => ({
  via: 'session',
  kind: body.user.platformAdmin ? 'admin' : 'account',
  accountId: body.user.accountId,
  accountName: body.user.accountName,
  label: body.user.name ?? body.user.email,
  scopes: body.user.scopes,
  canWrite: body.user.platformAdmin || body.user.scopes.includes('write'),
  userId: body.user.id,
  role: body.user.role,
  email: body.user.email,
  mfaRequired: body.user.mfaRequired,
  mfaEnabled: body.user.mfaEnabled,
});

/** A session the API just started (sign-in, invite acceptance): its CSRF token goes with every write from now on. */
export function sessionStarted(body: SessionBody): Identity {
  sessionStorage.removeItem(KEY_STORAGE);
  credentials = { kind: 'session', csrfToken: body.csrfToken };
  return identityOfSession(body);
}

async function identityOfKey(key: string): Promise<Identity> {
  const response = await fetch('/v1/principal', { headers: { authorization: `Bearer ${key}` } });
  if (!response.ok) throw await problemOf(response);
  const p = (await response.json()) as {
    kind: 'admin' | 'account';
    actor: { type: 'api_key' | 'user'; id: string; name: string | null };
    accountId: string | null;
    accountName: string | null;
    scopes: string[];
  };
  return {
    via: 'key',
    kind: p.kind,
    accountId: p.accountId,
    accountName: p.accountName,
    label: p.kind === 'admin' ? 'Platform admin (API key)' : `${p.accountName ?? p.accountId} (API key)`,
    scopes: p.scopes,
    canWrite: p.kind === 'admin' || p.scopes.includes('write'),
  };
}

/** Signs in with an API key; refused keys throw the API's problem. */
export async function signInWithKey(key: string): Promise<Identity> {
  const identity = await identityOfKey(key.trim());
  credentials = { kind: 'key', key: key.trim() };
  sessionStorage.setItem(KEY_STORAGE, key.trim());
  return identity;
}

/** Signs in with e-mail and password (and a 2FA code when the account asks for one). */
export async function signIn(email: string, password: string, code?: string): Promise<Identity> {
  const response = await fetch('/v1/sessions', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, ...(code ? { code } : {}) }),
  });
  if (!response.ok) throw await problemOf(response);
  return sessionStarted((await response.json()) as SessionBody);
}

/** On start: the key of this tab, or the browser's session cookie, or nobody. */
export async function restore(): Promise<Identity | null> {
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) {
    try {
      return await signInWithKey(key);
    } catch (error) {
      // Forget the key only when the API refused it (not when the page was left mid-request, or offline).
      if (error instanceof ApiProblem && (error.status === 401 || error.status === 403)) sessionStorage.removeItem(KEY_STORAGE);
      return null;
    }
  }
  const response = await fetch('/v1/sessions/current', { credentials: 'same-origin' }).catch(() => null);
  if (!response?.ok) return null;
  return sessionStarted((await response.json()) as SessionBody);
}

export async function signOut(everywhere = false): Promise<void> {
  if (credentials?.kind === 'session') {
    await fetch(everywhere ? '/v1/sessions' : '/v1/sessions/current', {
      method: 'DELETE',
      credentials: 'same-origin',
      headers: authHeaders(true),
    }).catch(() => undefined);
  }
  signedOut();
}

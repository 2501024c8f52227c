/**
 * Every scope a route may require. `read`, `write` and `mqtt` are the fleet's; `keys` (the account's API
 * keys), `audit` (its audit log) and `users` (its people, their roles and the account's sign-in rules) manage
 * the account; `admin` is the platform's. Roles are sets of these (roles.ts, docs/identity.md).
 */
export const API_KEY_SCOPES = ['read', 'write', 'mqtt', 'keys', 'audit', 'users', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
/** Scopes an account's keys and users may hold; `admin` belongs to the platform only. */
export const ACCOUNT_SCOPES = ['read', 'write', 'mqtt', 'keys', 'audit', 'users'] as const;
export type AccountScope = (typeof ACCOUNT_SCOPES)[number];

/** Who acts: an API key, or a person signed in through a browser session. */
export type Actor = { type: 'api_key'; id: string; name?: string } | { type: 'user'; id: string; name?: string; sessionId: string };

export type Principal = { kind: 'admin'; actor: Actor } | { kind: 'account'; accountId: string; actor: Actor; scopes: readonly AccountScope[] };

/** `write` implies `read`: a key that may change a resource may also see it. */
export function principalHasScope(principal: Principal, scope: ApiKeyScope): boolean {
  if (principal.kind === 'admin') return scope === 'admin';
  return scopesInclude(principal.scopes, scope);
}

export function scopesInclude(scopes: readonly string[], scope: ApiKeyScope): boolean {
  if (scope === 'read') return scopes.includes('read') || scopes.includes('write');
  return scopes.includes(scope);
}

/** Actor as recorded in histories and the audit log: `api_key:<id>`, `user:<id>`, or the system. */
export const actorOf = (principal: Principal): string => `${principal.actor.type}:${principal.actor.id}`;
export const SYSTEM_ACTOR = 'system';

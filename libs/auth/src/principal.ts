export const API_KEY_SCOPES = ['read', 'write', 'mqtt', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
/** Scopes an account may hold; `admin` belongs to the platform key only. */
export const ACCOUNT_SCOPES = ['read', 'write', 'mqtt'] as const;
export type AccountScope = (typeof ACCOUNT_SCOPES)[number];

export type Principal = { kind: 'admin'; keyId: string } | { kind: 'account'; accountId: string; keyId: string; scopes: readonly AccountScope[] };

/** `write` implies `read`: a key that may change a resource may also see it. */
export function principalHasScope(principal: Principal, scope: ApiKeyScope): boolean {
  if (principal.kind === 'admin') return scope === 'admin';
  if (scope === 'read') return principal.scopes.includes('read') || principal.scopes.includes('write');
  return (principal.scopes as readonly string[]).includes(scope);
}

/** Actor as recorded in histories: the API key that acted, or the system. */
export const actorOf = (principal: Principal): string => `api_key:${principal.keyId}`;
export const SYSTEM_ACTOR = 'system';

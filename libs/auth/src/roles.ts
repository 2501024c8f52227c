import type { AccountScope } from './principal.js';

/** The roles of an account's users, from most to least powerful. */
export const ACCOUNT_ROLES = ['owner', 'admin', 'operator', 'viewer'] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];
/** Platform admin users have one role: the platform's `admin` scope, like the platform admin key. */
export const PLATFORM_ROLES = ['admin'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];
export type UserRole = AccountRole | PlatformRole;

/**
 * Each account role is a set of scopes (docs/identity.md has the table): an operator runs the fleet, a
 * viewer only reads, admins also manage API keys and read the audit log, only owners manage users and
 * the account's sign-in rules.
 */
export const ROLE_SCOPES: Readonly<Record<AccountRole, readonly AccountScope[]>> = {
  owner: ['read', 'write', 'mqtt', 'keys', 'audit', 'users'],
  admin: ['read', 'write', 'mqtt', 'keys', 'audit'],
  operator: ['read', 'write'],
  viewer: ['read'],
};

/** The scopes in `wanted` that `held` does not cover (`write` covers `read`). */
export function missingScopes(held: readonly string[], wanted: readonly string[]): string[] {
  return wanted.filter((scope) => !(held.includes(scope) || (scope === 'read' && held.includes('write'))));
}

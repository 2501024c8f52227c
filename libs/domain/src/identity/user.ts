import { missingScopes, ROLE_SCOPES, type AccountRole, type UserRole } from '@simfleet/auth';
import { DomainError, ErrorCode } from '../errors/domain-error.js';

export const USER_STATUSES = ['invited', 'active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** A person: a user of one account, or a platform admin user (`accountId` null). */
export interface User {
  id: string;
  accountId: string | null;
  /** Lower-cased: one user per e-mail address across the platform. */
  email: string;
  name: string | null;
  role: UserRole;
  status: UserStatus;
  mfaEnabled: boolean;
  lastSignInAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What only sign-in reads: never leaves the application layer. */
export interface UserSecrets {
  passwordHash: string | null;
  /** The TOTP secret, sealed with the SecretBox (SECRETS_KEY); a pending one during enrolment. */
  mfaSecretSealed: string | null;
  mfaPendingSealed: string | null;
  /** The last TOTP time step accepted: a code of this step or an earlier one is a replay. */
  mfaLastStep: number | null;
}

export type UserWithSecrets = User & UserSecrets;

export const TOKEN_PURPOSES = ['invite', 'password_reset'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/**
 * Nobody grants more than they hold: a role (to a user) or scopes (to an API key) must be covered by the
 * granting principal's own scopes. Refused with the scopes that are missing.
 */
export function assertCanGrant(held: readonly string[], granted: readonly string[], what: string): void {
  const missing = missingScopes(held, granted);
  if (missing.length) {
    throw new DomainError(
      ErrorCode.Forbidden,
      `You cannot grant ${what}: it needs ${missing.map((s) => `\`${s}\``).join(', ')}, which you do not hold`,
      {
        reason: 'above-own-role',
        missingScopes: missing,
      },
    );
  }
}

export const roleScopes = (role: AccountRole) => ROLE_SCOPES[role];

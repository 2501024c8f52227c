import { z } from 'zod';
import { ACCOUNT_ROLES, API_KEY_SCOPES } from '@simfleet/auth';
import { AUDIT_OUTCOMES, USER_STATUSES } from '@simfleet/domain';

const instant = z.string().describe('ISO 8601 date-time (UTC)');

export const userView = z.object({
  id: z.string(),
  accountId: z.string().nullable().describe('null for a platform admin user'),
  email: z.string(),
  name: z.string().nullable(),
  role: z.enum(ACCOUNT_ROLES),
  status: z.enum(USER_STATUSES).describe('`invited` until the invite is accepted; `disabled` users cannot sign in'),
  mfaEnabled: z.boolean(),
  lastSignInAt: instant.nullable(),
  createdBy: z.string().nullable().describe('`user:<id>` or `api_key:<id>` that invited them'),
  createdAt: instant,
  updatedAt: instant,
});

export const sessionView = z.object({
  user: z.object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(ACCOUNT_ROLES),
    accountId: z.string().nullable().describe('null for a platform admin'),
    accountName: z.string().nullable(),
    platformAdmin: z.boolean(),
    mfaEnabled: z.boolean(),
    mfaRequired: z
      .boolean()
      .describe('The account requires two-factor authentication; until this user turns it on, only /v1/users/me and /v1/sessions answer'),
    scopes: z.array(z.enum(API_KEY_SCOPES)).describe('What the role allows (docs/identity.md)'),
  }),
  csrfToken: z.string().describe('Send as `X-CSRF-Token` with every cookie-authenticated POST, PUT, PATCH or DELETE'),
  expiresAt: instant.describe('The session ends at this instant at the latest (SESSION_MAX_AGE)'),
  idleTimeoutSeconds: z.number().int().describe('…or after this long without a request (SESSION_IDLE_TIMEOUT)'),
});

export const oneTimeLinkView = z.object({
  token: z.string().describe('The one-time token: shown only in this response, stored as a digest'),
  url: z.string().describe('The console link carrying the token (in its fragment, which browsers never send to servers)'),
  expiresAt: instant,
  emailSent: z.boolean().describe('Whether the link was e-mailed to the user (needs SMTP_URL)'),
  emailError: z.string().optional().describe('Why the e-mail could not be sent'),
});

export const invitedUserView = z.object({ user: userView, invite: oneTimeLinkView });

export const inviteInfoView = z.object({
  email: z.string(),
  role: z.enum(ACCOUNT_ROLES),
  accountId: z.string().nullable(),
  accountName: z.string().nullable(),
  expiresAt: instant,
});

export const mfaStartView = z.object({
  secret: z.string().describe('The TOTP secret (base32), to type into an authenticator app'),
  otpauthUri: z.string().describe('`otpauth://totp/…`: show it as a QR code'),
});

export const recoveryCodesView = z.object({
  recoveryCodes: z.array(z.string()).describe('Ten single-use codes, shown only in this response: each replaces a TOTP code once'),
});

export const accountSecurityView = z.object({ mfaRequired: z.boolean() });

export const auditEntryView = z.object({
  id: z.string(),
  accountId: z.string().nullable(),
  at: instant,
  actor: z.string().describe('`user:<id>`, `api_key:<id>`, `anonymous` or `system`'),
  actorName: z.string().nullable().describe('The user’s e-mail or the key’s name at the time'),
  platformActor: z.boolean().describe('The platform admin (key or user) acted'),
  action: z.string().describe('e.g. `sims.suspend`, `accounts.users.create`, `sessions.sign-in`'),
  resource: z.string().describe('Path of what was acted on, e.g. `sims/8988…`'),
  outcome: z.enum(AUDIT_OUTCOMES),
  status: z.number().int().nullable().describe('HTTP status of the request (null for a job’s change)'),
  requestId: z.string().nullable(),
  via: z.string().nullable().describe('`job:<id>` when a job made the change on the actor’s behalf'),
  address: z.string().nullable().describe('Client IP address'),
});

import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ROLE_SCOPES,
  DECOY_PASSWORD_HASH,
  hashPassword,
  hashToken,
  passwordNeedsRehash,
  safeEqual,
  verifyPassword,
  type AccountRole,
  type AccountScope,
  type Principal,
} from '@simfleet/auth';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Clock, DomainError, ErrorCode, newId, normaliseEmail, randomSecret, type User } from '@simfleet/domain';
import { UserRepository, type SessionRecord } from '@simfleet/persistence';
import { AuditTrail, type RequestOrigin } from './audit-trail.js';
import { AuthThrottle, assertNotThrottled } from './auth-throttle.module.js';
import { MfaService } from './mfa.service.js';

/** The signed-in user as the console sees it. */
export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  role: string;
  accountId: string | null;
  accountName: string | null;
  platformAdmin: boolean;
  mfaEnabled: boolean;
  /** The account requires two-factor authentication (until this user turns it on, only their own settings answer). */
  mfaRequired: boolean;
  /** What the role allows (docs/identity.md): the console shows only what these permit. */
  scopes: string[];
}

export interface SessionView {
  user: SessionUser;
  /** Send it as `X-CSRF-Token` with every cookie-authenticated write. */
  csrfToken: string;
  /** The session ends at this instant at the latest (SESSION_MAX_AGE), or earlier after SESSION_IDLE_TIMEOUT without a request. */
  expiresAt: Date;
  idleTimeoutSeconds: number;
}

export interface StartedSession {
  /** The cookie's value: shown to the browser only, stored as a digest. */
  token: string;
  view: SessionView;
}

/** A cookie-authenticated request's identity. */
export interface SessionContext {
  principal: Principal;
  sessionId: string;
  /** The account requires 2FA and this user has not turned it on: only their own settings answer. */
  mustEnrolMfa: boolean;
  csrfToken: string;
  view: SessionView;
}

export interface SignInAttempt {
  email: string;
  password: string;
  code?: string;
}

export interface ClientInfo extends RequestOrigin {
  userAgent: string | null;
}

/** The CSRF token of a session: derived from the session's secret, so only its holder can know it. */
export const csrfTokenOf = (sessionToken: string): string => createHmac('sha256', sessionToken).update('simfleet-csrf-v1').digest('base64url');

/** How often a session's last activity is written: idle expiry is accurate to this. */
const TOUCH_EVERY_MS = 30_000;

/**
 * Browser sessions: sign-in (password, then the second factor when on), the session behind a cookie with
 * idle and absolute expiry, sign-out here or everywhere. A new session id at every sign-in (the previous
 * one presented by the browser is revoked): no fixation. Bad credentials get one answer whether or not
 * the e-mail is a user's, after the same work (a decoy hash), under the same throttling.
 */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(UserRepository) private readonly users: UserRepository,
    @Inject(MfaService) private readonly mfa: MfaService,
    @Inject(AuthThrottle) private readonly throttle: AuthThrottle,
    @Inject(AuditTrail) private readonly audit: AuditTrail,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async signIn(attempt: SignInAttempt, client: ClientInfo, previousToken?: string): Promise<StartedSession> {
    const email = normaliseEmail(attempt.email);
    await assertNotThrottled(await this.throttle.signInWait(email, client.address), 'Too many failed sign-ins');
    const user = await this.users.findWithSecretsByEmail(email);
    const passwordOk = await verifyPassword(attempt.password, user?.passwordHash ?? DECOY_PASSWORD_HASH);
    if (!user || !user.passwordHash || !passwordOk) {
      await this.throttle.signInFailed(email, client.address);
      await this.recordSignIn(user, email, client, 'denied', 401, 'sessions.sign-in');
      throw new DomainError(ErrorCode.Unauthenticated, 'The e-mail or the password is wrong', { reason: 'bad-credentials' });
    }
    if (user.status === 'disabled') {
      await this.recordSignIn(user, email, client, 'denied', 403, 'sessions.sign-in');
      throw new DomainError(ErrorCode.Forbidden, 'This user is disabled: ask an owner of the account', { reason: 'user-disabled' });
    }
    if (user.mfaEnabled) {
      if (!attempt.code)
        throw new DomainError(ErrorCode.MfaRequired, 'Enter the code from your authenticator app (or a recovery code)', { field: 'code' });
      const second = await this.mfa.verify(user, attempt.code);
      if (!second.ok) {
        await this.throttle.signInFailed(email, client.address);
        await this.recordSignIn(user, email, client, 'denied', 401, 'sessions.sign-in');
        throw new DomainError(ErrorCode.InvalidCode, 'The code is wrong or was already used', { field: 'code' });
      }
    }
    await this.throttle.signInSucceeded(email);
    if (previousToken) await this.revokeByToken(previousToken);
    const now = this.clock.now();
    await this.users.recordSignIn(user.id, now, passwordNeedsRehash(user.passwordHash) ? await hashPassword(attempt.password) : undefined);
    const started = await this.start(user, client);
    await this.recordSignIn(user, email, client, 'success', 201, 'sessions.sign-in', started.view.user);
    return started;
  }

  /** Opens a session for a user who just proved who they are (sign-in, invite accepted). */
  async start(user: User, client: ClientInfo): Promise<StartedSession> {
    const token = randomSecret();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.identity.sessionMaxAgeMs);
    const id = newId('ses');
    await this.users.insertSession({
      id,
      tokenHash: hashToken(token),
      userId: user.id,
      createdAt: now,
      expiresAt,
      address: client.address,
      userAgent: client.userAgent,
    });
    const context = await this.authenticate(token);
    return { token, view: context.view };
  }

  /** The session behind a cookie, or 401 saying why (unknown, signed out, idle too long, too old, user disabled). */
  async authenticate(token: string): Promise<SessionContext> {
    const session = await this.users.findSession(hashToken(token));
    const now = this.clock.now().getTime();
    const refuse = (message: string, reason: string) => new DomainError(ErrorCode.Unauthenticated, message, { reason });
    if (!session) throw refuse('The session is unknown: sign in', 'unknown-session');
    if (session.revokedAt) throw refuse('The session was signed out: sign in again', 'session-ended');
    if (session.expiresAt.getTime() <= now) throw refuse('The session expired: sign in again', 'session-expired');
    if (session.lastSeenAt.getTime() + this.config.identity.sessionIdleMs <= now) {
      await this.users.revokeSession(session.id, new Date(now));
      throw refuse('The session ended after a period without activity: sign in again', 'session-idle');
    }
    if (session.user.status !== 'active') throw refuse('This user is disabled', 'user-disabled');
    if (now - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await this.users.touchSession(session.id, new Date(now));
    return this.contextOf(session, token);
  }

  async signOut(sessionId: string): Promise<void> {
    await this.users.revokeSession(sessionId, this.clock.now());
  }

  /** Ends every session of the user, this one included. */
  async signOutEverywhere(userId: string): Promise<number> {
    return this.users.revokeSessionsOf(userId, this.clock.now());
  }

  private async revokeByToken(token: string): Promise<void> {
    const session = await this.users.findSession(hashToken(token));
    if (session && !session.revokedAt) await this.users.revokeSession(session.id, this.clock.now());
  }

  private contextOf(session: SessionRecord, token: string): SessionContext {
    const user = session.user;
    const platformAdmin = user.accountId === null;
    const scopes: readonly AccountScope[] = platformAdmin ? [] : ROLE_SCOPES[user.role as AccountRole];
    const actor = { type: 'user' as const, id: user.id, name: user.email, sessionId: session.id };
    const principal: Principal = platformAdmin ? { kind: 'admin', actor } : { kind: 'account', accountId: user.accountId!, actor, scopes };
    const csrfToken = csrfTokenOf(token);
    const view: SessionView = {
      user: {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
        accountId: user.accountId,
        accountName: session.accountName,
        platformAdmin,
        mfaEnabled: user.mfaEnabled,
        mfaRequired: session.accountMfaRequired,
        scopes: platformAdmin ? ['admin'] : [...scopes],
      },
      csrfToken,
      expiresAt: session.expiresAt,
      idleTimeoutSeconds: Math.round(this.config.identity.sessionIdleMs / 1000),
    };
    return { principal, sessionId: session.id, mustEnrolMfa: session.accountMfaRequired && !user.mfaEnabled, csrfToken, view };
  }

  /** Whether a request's X-CSRF-Token is this session's. */
  csrfMatches(sessionToken: string, presented: string): boolean {
    return safeEqual(csrfTokenOf(sessionToken), presented);
  }

  private async recordSignIn(
    user: User | null,
    email: string,
    client: ClientInfo,
    outcome: 'success' | 'denied',
    status: number,
    action: string,
    view?: SessionUser,
  ): Promise<void> {
    await this.audit.record(
      this.audit.entry({
        accountId: user?.accountId ?? null,
        actor: outcome === 'success' && user ? `user:${user.id}` : 'anonymous',
        actorName: view?.email ?? email,
        platformActor: outcome === 'success' && user?.accountId === null,
        action,
        resource: user ? (user.accountId ? `accounts/${user.accountId}/users/${user.id}` : `admin/users/${user.id}`) : 'sessions',
        outcome,
        status,
        requestId: client.requestId,
        address: client.address,
      }),
    );
  }
}

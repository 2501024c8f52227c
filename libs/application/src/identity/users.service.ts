import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ACCOUNT_SCOPES,
  ROLE_SCOPES,
  hashPassword,
  hashToken,
  verifyPassword,
  PASSWORD_MAX_LENGTH,
  type AccountRole,
  type Principal,
  type UserRole,
} from '@simfleet/auth';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import {
  Clock,
  DomainError,
  ErrorCode,
  assertCanGrant,
  decodeCursor,
  newId,
  normaliseEmail,
  randomSecret,
  toPage,
  type Page,
  type TokenPurpose,
  type User,
} from '@simfleet/domain';
import { AccountRepository, Database, UserRepository, type SqlExecutor } from '@simfleet/persistence';
import { AuditTrail, auditActor, type RequestOrigin } from './audit-trail.js';
import { AuthThrottle, assertNotThrottled } from './auth-throttle.module.js';
import { Mailer } from './mailer.js';

/** Whose users: an account's, or the platform's own admin users (null). */
export type Realm = string | null;

/** Who asks, from where. */
export interface Caller {
  principal: Principal;
  origin: RequestOrigin;
}

/** A one-time link, shown once to whoever created it (and e-mailed when SMTP is configured). */
export interface OneTimeLink {
  token: string;
  url: string;
  expiresAt: Date;
  emailSent: boolean;
  /** Why the e-mail could not be sent, when SMTP is configured and the server refused or did not answer. */
  emailError?: string;
}

export interface UserChangeRequest {
  name?: string | null;
  role?: UserRole;
  disabled?: boolean;
}

const LINK_PATHS: Record<TokenPurpose, string> = { invite: '/invite', password_reset: '/reset-password' };

/**
 * People and their lifecycle: invites, roles, disabling, removal, passwords and their resets. Every
 * change is audited; nobody grants (or changes someone holding) more than they hold; an account keeps
 * at least one active owner.
 */
@Injectable()
export class UsersService {
  private readonly logger = new Logger('Users');

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(UserRepository) private readonly users: UserRepository,
    @Inject(AccountRepository) private readonly accounts: AccountRepository,
    @Inject(AuditTrail) private readonly audit: AuditTrail,
    @Inject(Mailer) private readonly mailer: Mailer,
    @Inject(AuthThrottle) private readonly throttle: AuthThrottle,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(realm: Realm, limit: number, cursor?: string): Promise<Page<User>> {
    if (realm !== null) await this.assertAccount(realm);
    const rows = await this.users.list(realm, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (u) => u.id);
  }

  async get(realm: Realm, userId: string): Promise<User> {
    const user = await this.users.findById(userId);
    if (!user || user.accountId !== realm) throw DomainError.notFound('User', userId);
    return user;
  }

  /** Creates an invited user and their invite link. */
  async invite(
    caller: Caller,
    realm: Realm,
    input: { email: string; role: UserRole; name?: string },
    linkBase: string,
  ): Promise<{ user: User; invite: OneTimeLink }> {
    const email = normaliseEmail(input.email);
    this.assertRoleFitsRealm(realm, input.role, 'role');
    if (realm !== null) await this.assertAccount(realm);
    this.assertCanGrantRole(caller.principal, realm, input.role);
    const now = this.clock.now();
    const user: User = {
      id: newId('usr'),
      accountId: realm,
      email,
      name: input.name ?? null,
      role: input.role,
      status: 'invited',
      mfaEnabled: false,
      lastSignInAt: null,
      createdBy: auditActor(caller.principal).actor,
      createdAt: now,
      updatedAt: now,
    };
    const token = randomSecret();
    const expiresAt = new Date(now.getTime() + this.config.identity.inviteTtlMs);
    await this.db.transaction(async (tx) => {
      if (await this.users.emailTaken(email, tx)) {
        throw DomainError.conflict(`A user with the e-mail ${email} already exists`, { errors: [{ field: 'email', message: 'already a user' }] });
      }
      await this.users.insert(tx, user);
      await this.users.issueToken(tx, {
        hash: hashToken(token),
        userId: user.id,
        purpose: 'invite',
        createdBy: user.createdBy,
        createdAt: now,
        expiresAt,
      });
    });
    return { user, invite: await this.deliver(user, 'invite', token, expiresAt, linkBase, await this.accountName(realm)) };
  }

  /** A new invite link for a user who has not accepted yet (the previous link stops working). */
  async reinvite(caller: Caller, realm: Realm, userId: string, linkBase: string): Promise<OneTimeLink> {
    const user = await this.get(realm, userId);
    this.assertCanManage(caller.principal, realm, user);
    if (user.status !== 'invited') throw DomainError.conflict('This user has already accepted their invite', { reason: 'not-invited' });
    const { token, expiresAt } = await this.issue(user, 'invite', this.config.identity.inviteTtlMs, caller);
    return this.deliver(user, 'invite', token, expiresAt, linkBase, await this.accountName(realm));
  }

  /** A password reset link for a user, issued by someone who manages them. */
  async issuePasswordReset(caller: Caller, realm: Realm, userId: string, linkBase: string): Promise<OneTimeLink> {
    const user = await this.get(realm, userId);
    this.assertCanManage(caller.principal, realm, user);
    if (user.status !== 'active')
      throw DomainError.conflict(`This user is ${user.status}: ${user.status === 'invited' ? 'send a new invite instead' : 'enable them first'}`, {
        reason: `user-${user.status}`,
      });
    const { token, expiresAt } = await this.issue(user, 'password_reset', this.config.identity.passwordResetTtlMs, caller);
    return this.deliver(user, 'password_reset', token, expiresAt, linkBase, await this.accountName(realm));
  }

  /**
   * Self-service "forgot password": e-mails a reset link when the address belongs to an active user and
   * both SMTP_URL and PUBLIC_URL are set (links in e-mails never come from a request's Host header).
   * Answers the same in every case, so it tells nothing about which e-mails exist.
   */
  async requestPasswordReset(emailInput: string, origin: RequestOrigin): Promise<void> {
    const email = normaliseEmail(emailInput);
    await assertNotThrottled(await this.throttle.resetWait(email), 'Too many reset requests for this e-mail');
    await this.throttle.resetRequested(email);
    const user = await this.users.findWithSecretsByEmail(email);
    const base = this.config.http.publicUrl;
    await this.audit.record(
      this.audit.entry({
        accountId: user?.accountId ?? null,
        actor: 'anonymous',
        actorName: email,
        platformActor: false,
        action: 'password-resets.request',
        resource: user ? this.resourceOf(user) : 'password-resets',
        outcome: 'success',
        status: 202,
        ...origin,
      }),
    );
    if (!user || user.status !== 'active' || !this.mailer.enabled || !base) return;
    const { token, expiresAt } = await this.issue(user, 'password_reset', this.config.identity.passwordResetTtlMs, null);
    await this.deliver(user, 'password_reset', token, expiresAt, base, await this.accountName(user.accountId));
  }

  async update(caller: Caller, realm: Realm, userId: string, changes: UserChangeRequest): Promise<User> {
    if (changes.role !== undefined) this.assertRoleFitsRealm(realm, changes.role, 'role');
    const now = this.clock.now();
    const updated = await this.db.transaction(async (tx) => {
      const current = await this.lockInRealm(tx, realm, userId);
      this.assertCanManage(caller.principal, realm, current);
      if (changes.role !== undefined) this.assertCanGrantRole(caller.principal, realm, changes.role);
      if (changes.disabled === true && current.status === 'invited') {
        throw DomainError.conflict('An invited user cannot be disabled: remove them instead', { reason: 'user-invited' });
      }
      const status = changes.disabled === undefined ? undefined : changes.disabled ? 'disabled' : current.status === 'invited' ? 'invited' : 'active';
      const losesOwner =
        current.role === 'owner' &&
        current.status === 'active' &&
        ((changes.role !== undefined && changes.role !== 'owner') || status === 'disabled');
      if (losesOwner) await this.assertAnotherOwner(tx, realm, current.id);
      const user = await this.users.update(tx, userId, { name: changes.name, role: changes.role, status }, now);
      if (status === 'disabled') await this.users.revokeSessionsOf(userId, now, undefined, tx);
      return user;
    });
    return updated;
  }

  async remove(caller: Caller, realm: Realm, userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const current = await this.lockInRealm(tx, realm, userId);
      this.assertCanManage(caller.principal, realm, current);
      if (current.role === 'owner' && current.status === 'active') await this.assertAnotherOwner(tx, realm, current.id);
      await this.users.delete(tx, userId);
    });
  }

  /** What an invite link is for, so that the acceptance page can say it (the token is not used up). */
  async inspectInvite(
    token: string,
  ): Promise<{ email: string; role: UserRole; accountId: string | null; accountName: string | null; expiresAt: Date }> {
    const { user, record } = await this.redeemable(token, 'invite');
    return {
      email: user.email,
      role: user.role,
      accountId: user.accountId,
      accountName: await this.accountName(user.accountId),
      expiresAt: record.expiresAt,
    };
  }

  /** Accepts an invite: sets the password (and name), activates the user, uses the token up. */
  async acceptInvite(token: string, password: string, name: string | undefined, origin: RequestOrigin): Promise<User> {
    this.assertPassword(password, 'password');
    const hash = await hashPassword(password);
    const now = this.clock.now();
    const user = await this.db.transaction(async (tx) => {
      const { user: invited } = await this.redeemable(token, 'invite', tx);
      if (!(await this.users.useToken(tx, hashToken(token), now))) throw this.tokenUsed('invite');
      if (name !== undefined) await this.users.update(tx, invited.id, { name }, now);
      return this.users.setPassword(tx, invited.id, hash, now, true);
    });
    await this.audit.record(this.selfEntry(user, 'invites.accept', origin));
    return user;
  }

  /** Sets a new password from a reset link; every session of the user ends. */
  async acceptPasswordReset(token: string, password: string, origin: RequestOrigin): Promise<void> {
    this.assertPassword(password, 'password');
    const hash = await hashPassword(password);
    const now = this.clock.now();
    const user = await this.db.transaction(async (tx) => {
      const { user: target } = await this.redeemable(token, 'password_reset', tx);
      if (target.status !== 'active')
        throw new DomainError(ErrorCode.Forbidden, `This user is ${target.status}`, { reason: `user-${target.status}` });
      if (!(await this.users.useToken(tx, hashToken(token), now))) throw this.tokenUsed('password_reset');
      const updated = await this.users.setPassword(tx, target.id, hash, now);
      await this.users.revokeSessionsOf(target.id, now, undefined, tx);
      return updated;
    });
    await this.audit.record(this.selfEntry(user, 'password-resets.accept', origin));
  }

  /** A signed-in user changes their password; their other sessions end. */
  async changePassword(userId: string, sessionId: string, current: string, next: string): Promise<void> {
    this.assertPassword(next, 'newPassword');
    const user = await this.users.findWithSecretsById(userId);
    if (!user) throw DomainError.notFound('User', userId);
    // A stolen session must not be a way to guess the password: the sign-in throttle applies.
    await assertNotThrottled(await this.throttle.signInWait(user.email, null));
    if (!user.passwordHash || !(await verifyPassword(current, user.passwordHash))) {
      await this.throttle.signInFailed(user.email, null);
      throw DomainError.validation('The current password is wrong', [{ field: 'currentPassword', message: 'wrong password' }]);
    }
    const hash = await hashPassword(next);
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await this.users.setPassword(tx, userId, hash, now);
      await this.users.revokeSessionsOf(userId, now, sessionId, tx);
    });
  }

  /** Turns off a user's two-factor authentication (lost device), by someone who manages them. */
  async resetMfa(caller: Caller, realm: Realm, userId: string): Promise<User> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const current = await this.lockInRealm(tx, realm, userId);
      this.assertCanManage(caller.principal, realm, current);
      await this.users.disableMfa(tx, userId, now);
      await this.users.revokeSessionsOf(userId, now, undefined, tx);
      return (await this.users.findById(userId, tx))!;
    });
  }

  async accountSecurity(accountId: string): Promise<{ mfaRequired: boolean }> {
    await this.assertAccount(accountId);
    return { mfaRequired: await this.users.accountMfaRequired(accountId) };
  }

  /** An owner requires two-factor authentication for the whole account (after turning it on for themselves). */
  async setAccountSecurity(caller: Caller, accountId: string, mfaRequired: boolean): Promise<{ mfaRequired: boolean }> {
    await this.assertAccount(accountId);
    const actor = caller.principal.actor;
    if (mfaRequired && actor.type === 'user') {
      const self = await this.users.findById(actor.id);
      if (self && !self.mfaEnabled) {
        throw DomainError.conflict('Turn on two-factor authentication for yourself before requiring it for the account', {
          reason: 'mfa-not-enabled',
        });
      }
    }
    await this.users.setAccountMfaRequired(accountId, mfaRequired);
    return { mfaRequired };
  }

  /** The password policy: a minimum length (PASSWORD_MIN_LENGTH), a maximum, and not only spaces. */
  assertPassword(password: string, field: string): void {
    const min = this.config.identity.passwordMinLength;
    const problem =
      password.length < min
        ? `at least ${min} characters`
        : password.length > PASSWORD_MAX_LENGTH
          ? `at most ${PASSWORD_MAX_LENGTH} characters`
          : password.trim().length === 0
            ? 'not only spaces'
            : null;
    if (problem) throw DomainError.validation(`${field}: ${problem}`, [{ field, message: problem }]);
  }

  // --- rules ------------------------------------------------------------------------------------------

  /** The scopes a principal may hand out in a realm: its own in an account; everything for the platform admin. */
  private grantable(principal: Principal, realm: Realm): readonly string[] {
    if (principal.kind === 'admin') return realm === null ? ['admin'] : ACCOUNT_SCOPES;
    return realm === principal.accountId ? principal.scopes : [];
  }

  private scopesOfRole(realm: Realm, role: UserRole): readonly string[] {
    return realm === null ? ['admin'] : ROLE_SCOPES[role as AccountRole];
  }

  private assertCanGrantRole(principal: Principal, realm: Realm, role: UserRole): void {
    assertCanGrant(this.grantable(principal, realm), this.scopesOfRole(realm, role), `the ${role} role`);
  }

  /** Nobody changes a user whose role is above their own. */
  private assertCanManage(principal: Principal, realm: Realm, user: User): void {
    assertCanGrant(this.grantable(principal, realm), this.scopesOfRole(realm, user.role), `changes to a user with the ${user.role} role`);
  }

  private assertRoleFitsRealm(realm: Realm, role: UserRole, field: string): void {
    if (realm === null && role !== 'admin') {
      throw DomainError.validation('Platform admin users have the admin role', [{ field, message: 'platform admin users have the admin role' }]);
    }
  }

  private async assertAnotherOwner(tx: SqlExecutor, realm: Realm, userId: string): Promise<void> {
    if (realm === null) return;
    const owners = await this.users.lockActiveOwners(tx, realm);
    if (!owners.some((id) => id !== userId)) {
      throw DomainError.conflict('This is the account’s last active owner: make another user owner first', { reason: 'last-owner' });
    }
  }

  private async lockInRealm(tx: SqlExecutor, realm: Realm, userId: string): Promise<User> {
    const user = await this.users.lockById(tx, userId);
    if (!user || user.accountId !== realm) throw DomainError.notFound('User', userId);
    return user;
  }

  private async assertAccount(accountId: string): Promise<void> {
    if (!(await this.accounts.findById(accountId))) throw DomainError.notFound('Account', accountId);
  }

  private async accountName(realm: Realm): Promise<string | null> {
    return realm === null ? null : ((await this.accounts.findById(realm))?.name ?? null);
  }

  // --- tokens -----------------------------------------------------------------------------------------

  private async issue(user: User, purpose: TokenPurpose, ttlMs: number, caller: Caller | null): Promise<{ token: string; expiresAt: Date }> {
    const token = randomSecret();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + ttlMs);
    await this.db.transaction((tx) =>
      this.users.issueToken(tx, {
        hash: hashToken(token),
        userId: user.id,
        purpose,
        createdBy: caller ? auditActor(caller.principal).actor : null,
        createdAt: now,
        expiresAt,
      }),
    );
    return { token, expiresAt };
  }

  /** The user a token is for, if it is one of this purpose, unused and unexpired; each refusal says why. */
  private async redeemable(token: string, purpose: TokenPurpose, tx: SqlExecutor = this.db) {
    const record = await this.users.findToken(hashToken(token), tx);
    const what = purpose === 'invite' ? 'invite' : 'password reset link';
    if (!record || record.purpose !== purpose)
      throw new DomainError(ErrorCode.NotFound, `This ${what} is not valid: check that the link was copied whole`, { reason: 'unknown-token' });
    if (record.usedAt) throw this.tokenUsed(purpose);
    if (record.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new DomainError(ErrorCode.TokenExpired, `This ${what} expired at ${record.expiresAt.toISOString()}: ask for a new one`, {
        expiredAt: record.expiresAt.toISOString(),
      });
    }
    const user = await this.users.findById(record.userId, tx);
    if (!user) throw new DomainError(ErrorCode.NotFound, `This ${what} is not valid`, { reason: 'unknown-token' });
    return { user, record };
  }

  private tokenUsed(purpose: TokenPurpose): DomainError {
    return new DomainError(
      ErrorCode.TokenUsed,
      `This ${purpose === 'invite' ? 'invite' : 'password reset link'} was already used (or replaced by a newer one)`,
    );
  }

  private async deliver(
    user: User,
    purpose: TokenPurpose,
    token: string,
    expiresAt: Date,
    linkBase: string,
    accountName: string | null,
  ): Promise<OneTimeLink> {
    const url = `${linkBase}${LINK_PATHS[purpose]}#token=${token}`;
    const link: OneTimeLink = { token, url, expiresAt, emailSent: false };
    if (!this.mailer.enabled) return link;
    const where = accountName
      ? `the ${accountName} account on ${this.config.identity.mfaIssuer}`
      : `${this.config.identity.mfaIssuer} as a platform admin`;
    const message =
      purpose === 'invite'
        ? {
            subject: `You are invited to ${where}`,
            text: `You are invited to ${where}, as ${user.role}.\n\nChoose your password here (the link works once, until ${expiresAt.toISOString()}):\n${url}\n`,
          }
        : {
            subject: `Reset your password on ${this.config.identity.mfaIssuer}`,
            text: `A password reset was requested for ${user.email}.\n\nChoose a new password here (the link works once, until ${expiresAt.toISOString()}):\n${url}\n\nIf you did not ask for it, ignore this e-mail.\n`,
          };
    try {
      await this.mailer.send({ to: user.email, ...message });
      link.emailSent = true;
    } catch (error) {
      link.emailError = error instanceof Error ? error.message : String(error);
      this.logger.warn(`could not e-mail the ${purpose.replace('_', ' ')} of ${user.id}: ${link.emailError}`);
    }
    return link;
  }

  resourceOf(user: Pick<User, 'id' | 'accountId'>): string {
    return user.accountId ? `accounts/${user.accountId}/users/${user.id}` : `admin/users/${user.id}`;
  }

  private selfEntry(user: User, action: string, origin: RequestOrigin) {
    return this.audit.entry({
      accountId: user.accountId,
      actor: `user:${user.id}`,
      actorName: user.email,
      platformActor: user.accountId === null,
      action,
      resource: this.resourceOf(user),
      outcome: 'success',
      status: 200,
      ...origin,
    });
  }
}

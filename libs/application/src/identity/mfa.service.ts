import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { base32Encode, hashToken, matchTotp, newTotpSecret, otpauthUri } from '@simfleet/auth';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Clock, DomainError, type UserWithSecrets } from '@simfleet/domain';
import { Database, SecretBox, UserRepository } from '@simfleet/persistence';
import { AuthThrottle, assertNotThrottled } from './auth-throttle.module.js';

const RECOVERY_CODES = 10;

/** `xxxx-xxxx-xxxx-xxxx` of base32 (80 random bits): long enough that a digest of it is safe to store. */
const newRecoveryCode = (): string => base32Encode(randomBytes(10)).toLowerCase().match(/.{4}/g)!.join('-');

/** A recovery code as typed (any case, with or without dashes and spaces), reduced to what is hashed. */
const canonicalRecoveryCode = (code: string): string => code.toLowerCase().replace(/[\s-]/g, '');

/** Why a second factor was refused, for the sign-in's answer. */
export type SecondFactorResult = { ok: true; via: 'totp' | 'recovery-code' } | { ok: false };

/**
 * Two-factor authentication: TOTP (RFC 6238) enrolment confirmed by a first code, ten single-use recovery
 * codes shown once, and the check at sign-in (a code of a time step already used is a replay).
 * The TOTP secret is sealed with the SecretBox (SECRETS_KEY), bound to its user.
 */
@Injectable()
export class MfaService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(UserRepository) private readonly users: UserRepository,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(AuthThrottle) private readonly throttle: AuthThrottle,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Starts (or restarts) enrolment: a new secret, pending until a code from it is confirmed. */
  async start(userId: string): Promise<{ secret: string; otpauthUri: string }> {
    const user = await this.userWithSecrets(userId);
    if (user.mfaEnabled)
      throw DomainError.conflict('Two-factor authentication is already on: turn it off first to change the authenticator', { reason: 'mfa-enabled' });
    const secret = newTotpSecret();
    await this.users.setPendingMfa(userId, this.box.seal(secret, `totp:${userId}`), this.clock.now());
    return { secret, otpauthUri: otpauthUri(this.config.identity.mfaIssuer, user.email, secret) };
  }

  /**
   * Seals again, with the current SECRETS_KEY, every TOTP secret sealed with a previous one (a rotation:
   * README "Secrets at rest"), so that the previous key can be retired. Returns how many users changed.
   */
  async resealSecrets(): Promise<number> {
    let resealed = 0;
    const reseal = (id: string, sealed: string | null) =>
      sealed !== null && SecretBox.isSealed(sealed) && this.box.isStale(sealed)
        ? this.box.seal(this.box.open(sealed, `totp:${id}`), `totp:${id}`)
        : sealed;
    for (const row of await this.users.sealedMfaSecrets()) {
      const now = { secret: reseal(row.id, row.secret), pending: reseal(row.id, row.pending) };
      if (now.secret === row.secret && now.pending === row.pending) continue;
      if (await this.users.replaceSealedMfaSecrets(row.id, row, now)) resealed++;
    }
    return resealed;
  }

  /** Confirms enrolment with a code from the authenticator; returns the recovery codes, once. */
  async confirm(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
    const user = await this.userWithSecrets(userId);
    if (user.mfaEnabled) throw DomainError.conflict('Two-factor authentication is already on', { reason: 'mfa-enabled' });
    if (!user.mfaPendingSealed) throw DomainError.conflict('Start with POST /v1/users/me/mfa to get a secret first', { reason: 'mfa-not-started' });
    const secret = this.box.open(user.mfaPendingSealed, `totp:${userId}`);
    const step = matchTotp(secret, code.trim(), this.clock.now().getTime());
    if (step === null) {
      throw DomainError.validation('The code does not match: check the authenticator app’s time and enter the current code', [
        { field: 'code', message: 'does not match the current code' },
      ]);
    }
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.db.transaction((tx) =>
      this.users.enableMfa(
        tx,
        userId,
        this.box.seal(secret, `totp:${userId}`),
        step,
        codes.map((c) => hashToken(canonicalRecoveryCode(c))),
        this.clock.now(),
      ),
    );
    return { recoveryCodes: codes };
  }

  /** Turns it off, proven with a current code (or a recovery code); refused where the account requires it. */
  async disable(userId: string, code: string): Promise<void> {
    const user = await this.userWithSecrets(userId);
    if (!user.mfaEnabled) throw DomainError.conflict('Two-factor authentication is not on', { reason: 'mfa-not-enabled' });
    if (user.accountId && (await this.users.accountMfaRequired(user.accountId))) {
      throw DomainError.conflict('Your account requires two-factor authentication: an owner can lift the requirement', {
        reason: 'mfa-required-by-account',
      });
    }
    // A stolen session must not be a way to guess codes: the sign-in throttle applies.
    await assertNotThrottled(await this.throttle.signInWait(user.email, null));
    if (!(await this.verify(user, code)).ok) {
      await this.throttle.signInFailed(user.email, null);
      throw DomainError.validation('The code does not match (or was already used)', [{ field: 'code', message: 'does not match' }]);
    }
    await this.db.transaction((tx) => this.users.disableMfa(tx, userId, this.clock.now()));
  }

  /** Checks a second factor: a TOTP code not replayed, or an unused recovery code (used up now). */
  async verify(user: UserWithSecrets, code: string): Promise<SecondFactorResult> {
    if (!user.mfaSecretSealed) return { ok: false };
    const typed = code.trim();
    if (/^\d{6}$/.test(typed)) {
      const step = matchTotp(this.box.open(user.mfaSecretSealed, `totp:${user.id}`), typed, this.clock.now().getTime());
      if (step === null || !(await this.users.acceptTotpStep(user.id, step))) return { ok: false };
      return { ok: true, via: 'totp' };
    }
    const canonical = canonicalRecoveryCode(typed);
    if (!/^[a-z2-7]{16}$/.test(canonical)) return { ok: false };
    return (await this.users.useRecoveryCode(user.id, hashToken(canonical), this.clock.now())) ? { ok: true, via: 'recovery-code' } : { ok: false };
  }

  private async userWithSecrets(userId: string): Promise<UserWithSecrets> {
    const user = await this.users.findWithSecretsById(userId);
    if (!user) throw DomainError.notFound('User', userId);
    return user;
  }
}

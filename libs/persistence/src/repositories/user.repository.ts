import { Inject, Injectable } from '@nestjs/common';
import type { TokenPurpose, User, UserStatus, UserWithSecrets } from '@simfleet/domain';

type UserRole = User['role'];
import { Database, type SqlExecutor } from '../database.js';

interface UserRow {
  id: string;
  account_id: string | null;
  email: string;
  name: string | null;
  role: UserRole;
  status: UserStatus;
  password_hash: string | null;
  mfa_secret: string | null;
  mfa_pending_secret: string | null;
  mfa_enabled_at: Date | null;
  mfa_last_step: number | null;
  last_sign_in_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  accountId: r.account_id,
  email: r.email,
  name: r.name,
  role: r.role,
  status: r.status,
  mfaEnabled: r.mfa_enabled_at !== null,
  lastSignInAt: r.last_sign_in_at,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toUserWithSecrets = (r: UserRow): UserWithSecrets => ({
  ...toUser(r),
  passwordHash: r.password_hash,
  mfaSecretSealed: r.mfa_secret,
  mfaPendingSealed: r.mfa_pending_secret,
  mfaLastStep: r.mfa_last_step,
});

export interface UserChanges {
  name?: string | null;
  role?: UserRole;
  status?: UserStatus;
}

/** A live session and who it belongs to, as the guard needs it on every cookie-authenticated request. */
export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  user: User;
  /** Whether the user's account requires two-factor authentication. */
  accountMfaRequired: boolean;
  accountName: string | null;
}

export interface TokenRecord {
  userId: string;
  purpose: TokenPurpose;
  expiresAt: Date;
  usedAt: Date | null;
}

/** Users, their one-time tokens, recovery codes and browser sessions. */
@Injectable()
export class UserRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(tx: SqlExecutor, user: User): Promise<void> {
    await tx.query(
      `insert into users (id, account_id, email, name, role, status, created_by, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
      [user.id, user.accountId, user.email, user.name, user.role, user.status, user.createdBy, user.createdAt],
    );
  }

  async emailTaken(email: string, tx: SqlExecutor = this.db): Promise<boolean> {
    return (await tx.query('select 1 from users where email = $1', [email])).length > 0;
  }

  async findById(id: string, tx: SqlExecutor = this.db): Promise<User | null> {
    const [row] = await tx.query<UserRow>('select * from users where id = $1', [id]);
    return row ? toUser(row) : null;
  }

  /** The user with what only sign-in and second-factor checks read. */
  async findWithSecretsById(id: string, tx: SqlExecutor = this.db): Promise<UserWithSecrets | null> {
    const [row] = await tx.query<UserRow>('select * from users where id = $1', [id]);
    return row ? toUserWithSecrets(row) : null;
  }

  async findWithSecretsByEmail(email: string): Promise<UserWithSecrets | null> {
    const [row] = await this.db.query<UserRow>('select * from users where email = $1', [email]);
    return row ? toUserWithSecrets(row) : null;
  }

  /** Users of an account (or the platform's, with null), by id. */
  async list(accountId: string | null, limit: number, after?: string): Promise<User[]> {
    const rows = await this.db.query<UserRow>(
      `select * from users where account_id is not distinct from $1 and ($2::text is null or id > $2) order by id limit $3`,
      [accountId, after ?? null, limit],
    );
    return rows.map(toUser);
  }

  /** Locks the account's active owners (the last one cannot go), returning their ids. */
  async lockActiveOwners(tx: SqlExecutor, accountId: string): Promise<string[]> {
    const rows = await tx.query<{ id: string }>(
      "select id from users where account_id = $1 and role = 'owner' and status = 'active' order by id for update",
      [accountId],
    );
    return rows.map((r) => r.id);
  }

  async lockById(tx: SqlExecutor, id: string): Promise<UserWithSecrets | null> {
    const [row] = await tx.query<UserRow>('select * from users where id = $1 for update', [id]);
    return row ? toUserWithSecrets(row) : null;
  }

  async update(tx: SqlExecutor, id: string, changes: UserChanges, at: Date): Promise<User> {
    const [row] = await tx.query<UserRow>(
      `update users set
         name = case when $2 then $3 else name end,
         role = coalesce($4, role),
         status = coalesce($5, status),
         updated_at = $6
       where id = $1 returning *`,
      [id, changes.name !== undefined, changes.name ?? null, changes.role ?? null, changes.status ?? null, at],
    );
    return toUser(row);
  }

  async delete(tx: SqlExecutor, id: string): Promise<void> {
    await tx.query('delete from users where id = $1', [id]);
  }

  async setPassword(tx: SqlExecutor, id: string, passwordHash: string, at: Date, activate = false): Promise<User> {
    const [row] = await tx.query<UserRow>(
      `update users set password_hash = $2, password_changed_at = $3, updated_at = $3,
         status = case when $4 and status = 'invited' then 'active' else status end
       where id = $1 returning *`,
      [id, passwordHash, at, activate],
    );
    return toUser(row);
  }

  async recordSignIn(id: string, at: Date, rehashedPassword?: string): Promise<void> {
    await this.db.query('update users set last_sign_in_at = $2, password_hash = coalesce($3, password_hash) where id = $1', [
      id,
      at,
      rehashedPassword ?? null,
    ]);
  }

  // --- two-factor authentication -------------------------------------------------------------------

  async setPendingMfa(id: string, sealed: string, at: Date): Promise<void> {
    await this.db.query('update users set mfa_pending_secret = $2, updated_at = $3 where id = $1', [id, sealed, at]);
  }

  /** Turns the pending secret on and replaces the recovery codes. */
  async enableMfa(tx: SqlExecutor, id: string, sealed: string, step: number, codeHashes: string[], at: Date): Promise<void> {
    await tx.query(
      'update users set mfa_secret = $2, mfa_pending_secret = null, mfa_enabled_at = $3, mfa_last_step = $4, updated_at = $3 where id = $1',
      [id, sealed, at, step],
    );
    await tx.query('delete from user_recovery_codes where user_id = $1', [id]);
    await tx.query('insert into user_recovery_codes (user_id, code_hash) select $1, unnest($2::text[])', [id, codeHashes]);
  }

  async disableMfa(tx: SqlExecutor, id: string, at: Date): Promise<void> {
    await tx.query(
      'update users set mfa_secret = null, mfa_pending_secret = null, mfa_enabled_at = null, mfa_last_step = null, updated_at = $2 where id = $1',
      [id, at],
    );
    await tx.query('delete from user_recovery_codes where user_id = $1', [id]);
  }

  /** Every stored TOTP secret (sealed), active or pending: for sealing them again after a SECRETS_KEY rotation. */
  async sealedMfaSecrets(): Promise<Array<{ id: string; secret: string | null; pending: string | null }>> {
    return this.db.query(
      'select id, mfa_secret as secret, mfa_pending_secret as pending from users where mfa_secret is not null or mfa_pending_secret is not null',
    );
  }

  /** Replaces a user's sealed TOTP secrets, unless they changed meanwhile (then false: nothing is written). */
  async replaceSealedMfaSecrets(
    id: string,
    was: { secret: string | null; pending: string | null },
    now: { secret: string | null; pending: string | null },
  ): Promise<boolean> {
    const rows = await this.db.query(
      `update users set mfa_secret = $2, mfa_pending_secret = $3
        where id = $1 and mfa_secret is not distinct from $4 and mfa_pending_secret is not distinct from $5 returning id`,
      [id, now.secret, now.pending, was.secret, was.pending],
    );
    return rows.length > 0;
  }

  /** Records a TOTP step as used, unless it (or a later one) already was: false means a replay. */
  async acceptTotpStep(id: string, step: number): Promise<boolean> {
    const rows = await this.db.query(
      'update users set mfa_last_step = $2 where id = $1 and (mfa_last_step is null or mfa_last_step < $2) returning id',
      [id, step],
    );
    return rows.length > 0;
  }

  /** Uses a recovery code once: false when it is unknown or already used. */
  async useRecoveryCode(id: string, codeHash: string, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      'update user_recovery_codes set used_at = $3 where user_id = $1 and code_hash = $2 and used_at is null returning user_id',
      [id, codeHash, at],
    );
    return rows.length > 0;
  }

  async unusedRecoveryCodes(id: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>('select count(*)::int as n from user_recovery_codes where user_id = $1 and used_at is null', [
      id,
    ]);
    return row.n;
  }

  // --- one-time tokens -------------------------------------------------------------------------------

  /** Issues a token, invalidating the user's earlier unused tokens of the same purpose. */
  async issueToken(
    tx: SqlExecutor,
    token: { hash: string; userId: string; purpose: TokenPurpose; createdBy: string | null; createdAt: Date; expiresAt: Date },
  ): Promise<void> {
    await tx.query('update user_tokens set used_at = $3 where user_id = $1 and purpose = $2 and used_at is null', [
      token.userId,
      token.purpose,
      token.createdAt,
    ]);
    await tx.query('insert into user_tokens (token_hash, user_id, purpose, created_by, created_at, expires_at) values ($1, $2, $3, $4, $5, $6)', [
      token.hash,
      token.userId,
      token.purpose,
      token.createdBy,
      token.createdAt,
      token.expiresAt,
    ]);
  }

  async findToken(hash: string, tx: SqlExecutor = this.db): Promise<TokenRecord | null> {
    const [row] = await tx.query<{ user_id: string; purpose: TokenPurpose; expires_at: Date; used_at: Date | null }>(
      'select user_id, purpose, expires_at, used_at from user_tokens where token_hash = $1',
      [hash],
    );
    return row ? { userId: row.user_id, purpose: row.purpose, expiresAt: row.expires_at, usedAt: row.used_at } : null;
  }

  /** Marks a token used, once: false when it was already used (a concurrent use lost the race). */
  async useToken(tx: SqlExecutor, hash: string, at: Date): Promise<boolean> {
    const rows = await tx.query('update user_tokens set used_at = $2 where token_hash = $1 and used_at is null returning user_id', [hash, at]);
    return rows.length > 0;
  }

  // --- sessions ---------------------------------------------------------------------------------------

  async insertSession(session: {
    id: string;
    tokenHash: string;
    userId: string;
    createdAt: Date;
    expiresAt: Date;
    address: string | null;
    userAgent: string | null;
  }): Promise<void> {
    await this.db.query(
      `insert into user_sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, address, user_agent)
       values ($1, $2, $3, $4, $4, $5, $6, $7)`,
      [session.id, session.tokenHash, session.userId, session.createdAt, session.expiresAt, session.address, session.userAgent],
    );
  }

  async findSession(tokenHash: string): Promise<SessionRecord | null> {
    const [row] = await this.db.query<
      UserRow & {
        session_id: string;
        s_created_at: Date;
        last_seen_at: Date;
        expires_at: Date;
        revoked_at: Date | null;
        mfa_required: boolean | null;
        account_name: string | null;
      }
    >(
      `select u.*, s.id as session_id, s.created_at as s_created_at, s.last_seen_at, s.expires_at, s.revoked_at,
              a.mfa_required, a.name as account_name
         from user_sessions s join users u on u.id = s.user_id left join accounts a on a.id = u.account_id
        where s.token_hash = $1`,
      [tokenHash],
    );
    if (!row) return null;
    return {
      id: row.session_id,
      userId: row.id,
      createdAt: row.s_created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      user: toUser(row),
      accountMfaRequired: row.mfa_required === true,
      accountName: row.account_name,
    };
  }

  async touchSession(id: string, at: Date): Promise<void> {
    await this.db.query('update user_sessions set last_seen_at = $2 where id = $1 and last_seen_at < $2', [id, at]);
  }

  async revokeSession(id: string, at: Date): Promise<void> {
    await this.db.query('update user_sessions set revoked_at = $2 where id = $1 and revoked_at is null', [id, at]);
  }

  /** Revokes every live session of a user, but `except` (the one changing its own password keeps its own). */
  async revokeSessionsOf(userId: string, at: Date, except?: string, tx: SqlExecutor = this.db): Promise<number> {
    const rows = await tx.query(
      'update user_sessions set revoked_at = $2 where user_id = $1 and revoked_at is null and ($3::text is null or id <> $3) returning id',
      [userId, at, except ?? null],
    );
    return rows.length;
  }

  /** Forgets sessions and tokens that can no longer be used (housekeeping). */
  async purgeExpired(before: Date): Promise<{ sessions: number; tokens: number }> {
    const sessions = await this.db.query('delete from user_sessions where expires_at < $1 or revoked_at < $1 returning id', [before]);
    const tokens = await this.db.query('delete from user_tokens where expires_at < $1 or used_at < $1 returning user_id', [before]);
    return { sessions: sessions.length, tokens: tokens.length };
  }

  async accountMfaRequired(accountId: string): Promise<boolean> {
    const [row] = await this.db.query<{ mfa_required: boolean }>('select mfa_required from accounts where id = $1', [accountId]);
    return row?.mfa_required === true;
  }

  async setAccountMfaRequired(accountId: string, required: boolean): Promise<boolean> {
    const rows = await this.db.query('update accounts set mfa_required = $2 where id = $1 returning id', [accountId, required]);
    return rows.length > 0;
  }
}

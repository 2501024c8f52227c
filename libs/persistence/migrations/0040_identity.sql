-- People: users of an account (account_id) or platform admin users (account_id null), one per e-mail.
create table users (
  id text primary key,
  account_id text references accounts(id),
  email text not null,
  name text,
  role text not null check (role in ('owner', 'admin', 'operator', 'viewer')),
  status text not null check (status in ('invited', 'active', 'disabled')),
  -- scrypt hash (never the password); null until the invite is accepted
  password_hash text,
  password_changed_at timestamptz,
  -- TOTP secrets sealed with SECRETS_KEY (AES-256-GCM); pending while enrolment awaits its first code
  mfa_secret text,
  mfa_pending_secret text,
  mfa_enabled_at timestamptz,
  mfa_last_step bigint,
  last_sign_in_at timestamptz,
  created_by text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  check (account_id is not null or role = 'admin')
);
create unique index users_email on users (email);
create index users_account on users (account_id, id);

-- One-time tokens (invites, password resets): only their SHA-256 digest is stored.
create table user_tokens (
  token_hash text primary key,
  user_id text not null references users(id) on delete cascade,
  purpose text not null check (purpose in ('invite', 'password_reset')),
  created_by text,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz
);
create index user_tokens_user on user_tokens (user_id, purpose);

-- Recovery codes of two-factor authentication: digests only, each usable once.
create table user_recovery_codes (
  user_id text not null references users(id) on delete cascade,
  code_hash text not null,
  used_at timestamptz,
  primary key (user_id, code_hash)
);

-- Browser sessions: the cookie holds a random token, the table its digest.
create table user_sessions (
  id text primary key,
  token_hash text not null unique,
  user_id text not null references users(id) on delete cascade,
  created_at timestamptz not null,
  last_seen_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  address text,
  user_agent text
);
create index user_sessions_user on user_sessions (user_id) where revoked_at is null;

-- An owner can require two-factor authentication for everyone in the account.
alter table accounts add column mfa_required boolean not null default false;

-- The request that started a job, so that the job's changes are audited under it.
alter table jobs add column request_id text;

-- The audit log: appended, never updated; rows leave only by age (AUDIT_LOG_RETENTION), through the
-- purge, which alone sets simfleet.audit_purge in its transaction.
create table audit_log (
  id bigserial primary key,
  account_id text,
  actor text not null,
  actor_name text,
  platform_actor boolean not null default false,
  action text not null,
  resource text not null,
  outcome text not null check (outcome in ('success', 'denied', 'failure')),
  status integer,
  request_id text,
  via text,
  address text,
  at timestamptz not null
);
create index audit_log_account on audit_log (account_id, id);
create index audit_log_platform on audit_log (id) where account_id is null or platform_actor;
create index audit_log_at on audit_log (at);

create function audit_log_append_only() returns trigger language plpgsql as $$ begin if tg_op = 'DELETE' and current_setting('simfleet.audit_purge', true) = 'on' then return old; end if; raise exception 'the audit log is append-only'; end $$;

create trigger audit_log_no_update before update or delete on audit_log for each row execute function audit_log_append_only();

create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only();

-- Tenancy: accounts and their API keys. The platform admin key is an api_keys row with account_id null.
create table accounts (
  id text primary key,
  name text not null,
  created_at timestamptz not null default now()
);

create table api_keys (
  id text primary key,
  account_id text references accounts(id),
  name text not null,
  secret_hash text not null,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_account on api_keys (account_id);

-- The SIM: in stock while account_id is null, then owned by one account for life.
create table sims (
  iccid text primary key,
  imsi text not null unique,
  msisdn text unique,
  eid text,
  form_factor text,
  account_id text references accounts(id),
  order_id text,
  name text,
  status text not null default 'inventory' check (status in ('inventory', 'active', 'suspended', 'terminated')),
  blocks text[] not null default '{}',
  tags jsonb not null default '{}',
  group_id text,
  labels text[] not null default '{}',
  end_user_device boolean not null default false,
  end_user_device_declared_by text,
  end_user_device_declared_at timestamptz,
  authorized_imeis text[] not null default '{}',
  secret_hash text,
  first_activated_at timestamptz,
  last_seen_at timestamptz,
  mcc text,
  mnc text,
  network text,
  country text,
  rat text,
  imei text,
  signal_dbm integer,
  firmware text,
  last_lat double precision,
  last_lon double precision,
  last_location_accuracy_m double precision,
  last_location_source text,
  last_location_at timestamptz,
  allocated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index sims_account_name on sims (account_id, name) where name is not null;
create index sims_account_iccid on sims (account_id, iccid);
create index sims_stock on sims (iccid) where account_id is null;

-- Every lifecycle change of a SIM, for history and for "active at any moment of the month".
create table sim_history (
  id bigserial primary key,
  iccid text not null references sims(iccid),
  account_id text,
  from_status text,
  to_status text not null,
  action text not null,
  actor text not null,
  reason text,
  blocks text[] not null default '{}',
  at timestamptz not null default now()
);
create index sim_history_iccid on sim_history (iccid, at);

-- Usage ledger: one row per (SIM, data session) holding the latest cumulative counters and the rated amount.
create table usage_ledger (
  iccid text not null,
  session_id text not null,
  account_id text not null,
  started_at timestamptz not null,
  ended_at timestamptz,
  bytes_up bigint not null,
  bytes_down bigint not null,
  mcc text not null,
  mnc text not null,
  country text,
  network text,
  rat text not null,
  zone text,
  amount numeric(20, 10),
  currency text,
  updated_at timestamptz not null default now(),
  primary key (iccid, session_id)
);
create index usage_ledger_account_started on usage_ledger (account_id, started_at);

-- The SQL telemetry store (embedded shape). Same keys as the InfluxDB series: a re-write overwrites.
create table telemetry_data_session (
  account_id text not null,
  iccid text not null,
  session_id text not null,
  started_at timestamptz not null,
  ended_at timestamptz,
  bytes_up bigint not null,
  bytes_down bigint not null,
  mcc text not null,
  mnc text not null,
  network text,
  country text,
  rat text not null,
  cell_id text,
  primary key (iccid, session_id)
);
create index telemetry_data_session_account_time on telemetry_data_session (account_id, started_at);

create table telemetry_location (
  account_id text not null,
  iccid text not null,
  at timestamptz not null,
  lat double precision not null,
  lon double precision not null,
  accuracy_m double precision,
  source text not null,
  primary key (iccid, at)
);

create table telemetry_status (
  account_id text not null,
  iccid text not null,
  at timestamptz not null,
  imei text,
  signal_dbm integer,
  firmware text,
  primary key (iccid, at)
);

-- Outbox of domain events, written in the transaction of the change that caused them.
create table events (
  id text primary key,
  type text not null,
  account_id text,
  subject text not null,
  occurred_at timestamptz not null,
  data jsonb not null,
  schema_version integer not null default 1
);
create index events_account_time on events (account_id, id);

-- Records that could never be written (poison jobs), visible to admins.
create table dead_letters (
  id text primary key,
  queue text not null,
  job_name text not null,
  job_id text,
  payload jsonb not null,
  error text not null,
  attempts integer not null,
  failed_at timestamptz not null default now()
);

-- Idempotency-Key replay store for POST requests.
create table idempotency_keys (
  principal text not null,
  key text not null,
  request_hash text not null,
  status_code integer,
  response_body jsonb,
  created_at timestamptz not null default now(),
  primary key (principal, key)
);

-- SIM orders: pending → allocated → shipped → delivered (or cancelled before shipping).
create table orders (
  id text primary key,
  account_id text not null references accounts(id),
  quantity integer not null check (quantity > 0),
  form_factor text not null,
  shipping_address jsonb,
  status text not null check (status in ('pending', 'allocated', 'shipped', 'delivered', 'cancelled')),
  status_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index orders_account on orders (account_id, id);

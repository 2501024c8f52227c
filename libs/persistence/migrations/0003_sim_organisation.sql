-- SIM organisation: groups with inherited policy, SIM-level policy overrides, bulk jobs, and the indexes
-- that keep the fleet overview fast at a million SIMs (docs/sims.md, "Indexes").

-- A group of an account's SIMs; its policy applies to each SIM that does not override it.
create table sim_groups (
  id text primary key,
  account_id text not null references accounts(id),
  name text not null,
  description text,
  monthly_data_limit_bytes bigint check (monthly_data_limit_bytes is null or monthly_data_limit_bytes >= 0),
  allowed_countries text[],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index sim_groups_account_name on sim_groups (account_id, name);
create index sim_groups_account_id on sim_groups (account_id, id);

-- SIM-level overrides: null means "inherit from the group".
alter table sims add column data_limit_bytes bigint check (data_limit_bytes is null or data_limit_bytes >= 0);
alter table sims add column allowed_countries text[];
-- A group that still holds SIMs cannot be deleted (the API answers 409 first; this guards races).
alter table sims add constraint sims_group_fk foreign key (group_id) references sim_groups(id);

-- Overview indexes. Every list is scoped to one account and ordered by (sort key, iccid) for keyset paging.
create index sims_account_status on sims (account_id, status, iccid);
create index sims_account_group on sims (account_id, group_id, iccid);
create index sims_account_country on sims (account_id, country, iccid);
create index sims_account_network on sims (account_id, network, iccid);
create index sims_account_last_seen on sims (account_id, last_seen_at, iccid);
create index sims_account_created on sims (account_id, created_at, iccid);
create index sims_account_name_sort on sims (account_id, name, iccid);
create index sims_account_end_user on sims (account_id, iccid) where end_user_device;
-- `q` prefix search on ICCID and MSISDN: text_pattern_ops makes `like 'prefix%'` indexable whatever the collation.
create index sims_account_iccid_prefix on sims (account_id, iccid text_pattern_ops);
create index sims_account_msisdn_prefix on sims (account_id, msisdn text_pattern_ops);
-- `tag=key:value` filters use jsonb containment (`tags @> {"key": "value"}`).
create index sims_tags on sims using gin (tags jsonb_path_ops);

-- Asynchronous jobs of an account (bulk lifecycle actions). The target ICCIDs are resolved when the job is
-- accepted, so a filter selects the SIMs matching at that moment; `processed` is the resume point.
create table jobs (
  id text primary key,
  account_id text not null references accounts(id),
  kind text not null,
  action text not null,
  status text not null check (status in ('queued', 'running', 'completed', 'failed')),
  actor text not null,
  reason text,
  targets text[] not null,
  total integer not null,
  processed integer not null default 0,
  succeeded integer not null default 0,
  failed_count integer not null default 0,
  error text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
create index jobs_account on jobs (account_id, id);

create table job_failures (
  job_id text not null references jobs(id),
  seq integer not null,
  iccid text not null,
  reason text not null,
  primary key (job_id, seq)
);

-- Alerts (issue 5): rules scoped to a SIM, a group, a tag or the account; alerts with ThingsBoard's
-- lifecycle (one open alert per rule and SIM); the evaluation state of the anomaly rules (docs/alerts.md).

create table alert_rules (
  id text primary key,
  account_id text not null references accounts(id),
  name text,
  type text not null check (type in ('data_usage_limit', 'imei_change', 'impossible_travel', 'geofence', 'usage_spike', 'new_country', 'connection_storm', 'silent')),
  scope jsonb not null default '{}',
  severity text not null check (severity in ('info', 'warning', 'critical')),
  action text not null check (action in ('notify', 'block')),
  enabled boolean not null default true,
  params jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index alert_rules_account on alert_rules (account_id, id);

-- rule_id has no foreign key: a deleted rule's resolved alerts stay as history.
create table alerts (
  id text primary key,
  account_id text not null references accounts(id),
  rule_id text not null,
  type text not null,
  iccid text not null,
  severity text not null check (severity in ('info', 'warning', 'critical')),
  status text not null check (status in ('active', 'acknowledged', 'resolved')),
  count integer not null default 1,
  level integer not null default 0,
  details jsonb not null default '{}',
  block text,
  first_triggered_at timestamptz not null,
  last_triggered_at timestamptz not null,
  acknowledged_at timestamptz,
  acknowledged_by text,
  resolved_at timestamptz,
  resolved_by text,
  resolution text
);
-- At most one open alert per (rule, SIM): repeated triggers update it.
create unique index alerts_open_per_rule_sim on alerts (rule_id, iccid) where status <> 'resolved';
create index alerts_account on alerts (account_id, id);
create index alerts_account_iccid on alerts (account_id, iccid, id);
create index alerts_open_iccid on alerts (iccid) where status <> 'resolved';

-- A SIM's EWMA usage baselines (usage_spike): per ended session, and per UTC day with traffic.
create table sim_usage_baselines (
  iccid text primary key,
  account_id text not null,
  session_mean double precision,
  session_samples integer not null default 0,
  day_mean double precision,
  day_samples integer not null default 0,
  current_day date,
  updated_at timestamptz not null default now()
);

-- The data-limit rule sums usage_ledger by (iccid, started_at): 0009_telemetry_queries creates that index.

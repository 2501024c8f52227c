-- Webhook dispatch state on the outbox: an event is dispatched once its deliveries exist. A marker (not a
-- cursor on id) because event ids are time-ordered by occurrence, not by commit: a cursor would skip late commits.
alter table events add column dispatched_at timestamptz;
alter table events add column recorded_at timestamptz not null default now();
-- Events recorded before webhooks existed have nothing to deliver.
update events set dispatched_at = now();
create index events_undispatched on events (id) where dispatched_at is null;

-- A subscriber's endpoint. The secret signs deliveries (HMAC needs it in clear); the previous one keeps
-- signing alongside the new one until previous_secret_expires_at (rotation overlap).
create table webhook_endpoints (
  id text primary key,
  account_id text not null references accounts(id),
  url text not null,
  description text,
  events text[] not null,
  enabled boolean not null default true,
  disabled_reason text,
  disabled_at timestamptz,
  secret text not null,
  previous_secret text,
  previous_secret_expires_at timestamptz,
  failing_since timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_account on webhook_endpoints (account_id, id);

-- One delivery per (endpoint, event), retried on its own schedule; lease_until keeps two workers off the same attempt.
create table webhook_deliveries (
  id text primary key,
  endpoint_id text not null references webhook_endpoints(id) on delete cascade,
  account_id text not null,
  event_id text not null references events(id),
  status text not null check (status in ('pending', 'succeeded', 'failed')),
  attempt_count integer not null default 0,
  retry_index integer not null default 0,
  next_attempt_at timestamptz,
  lease_until timestamptz,
  last_status_code integer,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (endpoint_id, event_id)
);
create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, id);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';

create table webhook_delivery_attempts (
  id bigserial primary key,
  delivery_id text not null references webhook_deliveries(id) on delete cascade,
  attempt integer not null,
  attempted_at timestamptz not null,
  url text not null,
  status_code integer,
  response_excerpt text,
  latency_ms integer not null,
  error text,
  unique (delivery_id, attempt)
);

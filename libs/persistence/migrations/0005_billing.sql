-- Billing (docs/billing.md, "Platform API"): price plans, their assignment to accounts, usage events of
-- the non-THINGS channels, and invoices.

-- A price plan as validated by libs/billing (validatePlan). The default plan is inserted at startup.
create table price_plans (
  id text primary key,
  name text not null,
  plan jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Plan assignments with the month they take effect: the plan in force for a period is the latest
-- assignment whose effective month is not after the period.
create table account_price_plans (
  account_id text not null references accounts(id),
  effective_from text not null check (effective_from ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  plan_id text not null references price_plans(id),
  actor text not null,
  assigned_at timestamptz not null default now(),
  primary key (account_id, effective_from)
);

-- Usage events. The primary key claims the client's event id in the statement that stores the event,
-- so a failed write never burns an id and a re-sent event is a duplicate. `seq` orders receipt.
create table usage_events (
  account_id text not null references accounts(id),
  id text not null,
  seq bigserial not null,
  channel text not null,
  type text not null,
  at timestamptz not null,
  event jsonb not null,
  received_at timestamptz not null default now(),
  primary key (account_id, id)
);
create index usage_events_account_at on usage_events (account_id, at);
create index usage_events_account_seq on usage_events (account_id, seq);

-- One invoice per account and period. `document` is the invoice JSON text exactly as rated (lines,
-- subtotals, total…), kept as text so a regenerated draft is byte-comparable.
create table invoices (
  id text primary key,
  account_id text not null references accounts(id),
  period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  status text not null check (status in ('draft', 'finalized')),
  plan_id text not null,
  currency text not null,
  total numeric(20, 6) not null,
  document text not null,
  generated_at timestamptz not null,
  finalized_at timestamptz,
  created_at timestamptz not null default now(),
  unique (account_id, period)
);
create index invoices_period on invoices (period, id);
create index invoices_account on invoices (account_id, id);

-- Dedicated support: cases about SIMs of an account, and their messages (customer and support replies).
create table support_cases (
  id text primary key,
  account_id text not null references accounts(id),
  subject text not null,
  description text not null,
  severity text not null check (severity in ('low', 'normal', 'high', 'urgent')),
  status text not null check (status in ('open', 'waiting', 'closed')),
  iccids jsonb not null default '[]',
  opened_by text not null,
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index support_cases_account on support_cases (account_id, id);
create index support_cases_status on support_cases (status, id);
create table support_case_messages (
  id text primary key,
  case_id text not null references support_cases(id),
  author text not null check (author in ('customer', 'support')),
  author_key_id text not null,
  body text not null,
  created_at timestamptz not null default now()
);
create index support_case_messages_case on support_case_messages (case_id, id);
-- Logistics of SIM orders: shipped by a carrier with a tracking number, then delivered.
alter table orders add column carrier text;
alter table orders add column tracking_number text;
alter table orders add column shipped_at timestamptz;
alter table orders add column delivered_at timestamptz;
create index orders_pending on orders (created_at, id) where status = 'pending';

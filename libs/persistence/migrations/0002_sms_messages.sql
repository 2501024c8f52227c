-- Mobile-terminated SMS and wake-up SMS sent to SIMs. Each submitted segment is one SMS MT billable event.
create table sms_messages (
  id text primary key,
  account_id text not null references accounts(id),
  iccid text not null references sims(iccid),
  kind text not null check (kind in ('sms', 'wake-up')),
  text text not null,
  encoding text not null check (encoding in ('gsm7', 'ucs2')),
  segments integer not null check (segments > 0),
  status text not null check (status in ('queued', 'sent', 'delivered', 'failed', 'expired')),
  status_reason text,
  gateway text not null,
  gateway_message_id text,
  validity_until timestamptz not null,
  submitted_at timestamptz,
  sent_at timestamptz,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index sms_messages_account on sms_messages (account_id, id);
create index sms_messages_iccid on sms_messages (iccid, id);
create index sms_messages_billing on sms_messages (account_id, submitted_at) where submitted_at is not null;

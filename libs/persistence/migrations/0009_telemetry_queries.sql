-- The last ingestion errors per SIM (refused records, with their reasons), for diagnostics. The broker
-- reports them through a use case, which keeps only the newest few per SIM.
create table ingestion_errors (
  id bigserial primary key,
  iccid text not null,
  at timestamptz not null,
  topic text not null,
  code text not null,
  message text not null,
  record_index integer
);
create index ingestion_errors_iccid on ingestion_errors (iccid, id);

-- Diagnostics read a SIM's open and latest sessions from the ledger.
create index usage_ledger_iccid_started on usage_ledger (iccid, started_at);

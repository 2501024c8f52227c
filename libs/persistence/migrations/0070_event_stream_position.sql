-- The live event stream (GET /v1/events/stream) reads the outbox in the order events become visible, so that
-- a reader resuming from a position misses nothing. Event ids follow occurrence, not commit; the id of the
-- transaction that wrote a row does better: every transaction still running has an id at or above the
-- snapshot's xmin, so the rows below it are final, and a reader that stops there and resumes from
-- (transaction id, event id) sees each row exactly once. Rows written before this migration have no
-- position: they were never streamed.
alter table events add column tx_id xid8;
alter table events alter column tx_id set default pg_current_xact_id();
create index events_stream on events (account_id, tx_id);

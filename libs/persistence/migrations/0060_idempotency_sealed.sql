-- Idempotency-Key responses are no longer kept in clear, nor forever (issue 11):
--  - a row is found by a digest of the key, not the key itself (the key is what opens the stored response);
--  - the response is sealed (AES-256-GCM) with a key derived from SECRETS_KEY and the Idempotency-Key;
--  - each row expires after the replay window and is purged by the worker (job idempotency.purge).
-- Stored responses held API keys, device and webhook secrets in clear: they are deleted, not converted
-- (replays of requests made before this migration run again as new requests).
delete from idempotency_keys;
alter table idempotency_keys drop constraint idempotency_keys_pkey;
alter table idempotency_keys rename column key to key_digest;
alter table idempotency_keys drop column response_body;
alter table idempotency_keys add column response_sealed text;
alter table idempotency_keys add column expires_at timestamptz not null;
alter table idempotency_keys add primary key (principal, key_digest);
create index idempotency_keys_expiry on idempotency_keys (expires_at);

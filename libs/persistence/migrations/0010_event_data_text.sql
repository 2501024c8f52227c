-- An event's data is written once and read whole (event list, webhook payloads), never queried inside.
-- It is kept as the JSON text the platform serialised: `jsonb` parsed and re-encoded every event on
-- insert, and even `json` re-validated it, which was most of the cost of appending telemetry events.
alter table events alter column data type text using data::text;

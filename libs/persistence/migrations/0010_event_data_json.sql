-- An event's data is written once and read whole (event list, webhook payloads), never queried inside:
-- `json` keeps it as the text that was written, while `jsonb` parsed and re-encoded every event on insert,
-- which was most of the cost of appending telemetry events.
alter table events alter column data type json using data::json;

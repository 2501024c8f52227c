-- One row per MQTT connection of a device (issue 4, broker): the connection log behind sim.connected /
-- sim.disconnected, the diagnostics' online/offline state and the connects-per-hour count of the
-- connection-storm alert. Written idempotently by the worker (a retried job never adds a connection).
create table sim_connections (
  connection_id text primary key,
  iccid text not null,
  account_id text not null,
  broker_id text not null,
  client_id text not null,
  connected_at timestamptz not null,
  disconnected_at timestamptz,
  disconnect_reason text,
  disconnect_detail text
);
create index sim_connections_iccid_connected on sim_connections (iccid, connected_at desc);

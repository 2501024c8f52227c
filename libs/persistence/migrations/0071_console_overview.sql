-- The console's overview counts open connections and open alerts per account: small partial indexes, as
-- only the open rows are in them.
create index sim_connections_open_by_account on sim_connections (account_id, iccid) where disconnected_at is null;
create index alerts_open_by_account on alerts (account_id, type, severity) where status <> 'resolved';

import { Inject, Injectable } from '@nestjs/common';
import { Database, type SqlExecutor } from '../database.js';

export interface SimConnectionOpened {
  connectionId: string;
  iccid: string;
  accountId: string;
  brokerId: string;
  clientId: string;
  connectedAt: Date;
}

export interface SimConnectionClosed extends SimConnectionOpened {
  disconnectedAt: Date;
  reason: string;
  detail: string | null;
}

export interface ConnectionState {
  online: boolean;
  /** Connected since (online), or disconnected since (offline); null when the SIM never connected. */
  since: Date | null;
  /** The broker holding (online) or that last held the connection. */
  brokerId: string | null;
  /** Why the last connection ended (offline only). */
  lastDisconnectReason: string | null;
}

/** The MQTT connection log of devices (migration 0006). */
@Injectable()
export class SimConnectionRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Records an opened connection; a connection already known (retried job, or its close seen first) is left as is. */
  async opened(tx: SqlExecutor, c: SimConnectionOpened): Promise<void> {
    await tx.query(
      `insert into sim_connections (connection_id, iccid, account_id, broker_id, client_id, connected_at)
       values ($1, $2, $3, $4, $5, $6) on conflict (connection_id) do nothing`,
      [c.connectionId, c.iccid, c.accountId, c.brokerId, c.clientId, c.connectedAt],
    );
  }

  /** Records a closed connection, even when its opening was not recorded yet (jobs may run out of order). */
  async closed(tx: SqlExecutor, c: SimConnectionClosed): Promise<void> {
    await tx.query(
      `insert into sim_connections (connection_id, iccid, account_id, broker_id, client_id, connected_at, disconnected_at, disconnect_reason, disconnect_detail)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (connection_id) do update set disconnected_at = excluded.disconnected_at, disconnect_reason = excluded.disconnect_reason, disconnect_detail = excluded.disconnect_detail
       where sim_connections.disconnected_at is null`,
      [c.connectionId, c.iccid, c.accountId, c.brokerId, c.clientId, c.connectedAt, c.disconnectedAt, c.reason, c.detail],
    );
  }

  /** Online when the SIM's latest connection is still open; since when it opened, or when the last one closed. */
  async connectionState(iccid: string, tx: SqlExecutor = this.db): Promise<ConnectionState> {
    const [row] = await tx.query<{ broker_id: string; connected_at: Date; disconnected_at: Date | null; disconnect_reason: string | null }>(
      'select broker_id, connected_at, disconnected_at, disconnect_reason from sim_connections where iccid = $1 order by connected_at desc, connection_id desc limit 1',
      [iccid],
    );
    if (!row) return { online: false, since: null, brokerId: null, lastDisconnectReason: null };
    const online = row.disconnected_at === null;
    return {
      online,
      since: online ? row.connected_at : row.disconnected_at,
      brokerId: row.broker_id,
      lastDisconnectReason: online ? null : row.disconnect_reason,
    };
  }

  /** Connections opened per UTC hour in [from, to), hours without any omitted (connection-storm rule). */
  async connectsPerHour(iccid: string, from: Date, to: Date, tx: SqlExecutor = this.db): Promise<Array<{ hour: Date; connects: number }>> {
    const rows = await tx.query<{ hour: Date; connects: number }>(
      `select date_trunc('hour', connected_at at time zone 'UTC') at time zone 'UTC' as hour, count(*)::bigint as connects
         from sim_connections where iccid = $1 and connected_at >= $2 and connected_at < $3
        group by 1 order by 1`,
      [iccid, from, to],
    );
    return rows.map((r) => ({ hour: new Date(r.hour), connects: Number(r.connects) }));
  }

  /** Closes what a broker left open when it stopped without closing them (crash): called at its next start. */
  async closeOpenOfBroker(tx: SqlExecutor, brokerId: string, startedAt: Date, reason: string): Promise<SimConnectionClosed[]> {
    const at = startedAt;
    const rows = await tx.query<{
      connection_id: string;
      iccid: string;
      account_id: string;
      broker_id: string;
      client_id: string;
      connected_at: Date;
    }>(
      `update sim_connections set disconnected_at = $2, disconnect_reason = $3 where broker_id = $1 and disconnected_at is null and connected_at < $2
       returning connection_id, iccid, account_id, broker_id, client_id, connected_at`,
      [brokerId, at, reason],
    );
    return rows.map((r) => ({
      connectionId: r.connection_id,
      iccid: r.iccid,
      accountId: r.account_id,
      brokerId: r.broker_id,
      clientId: r.client_id,
      connectedAt: r.connected_at,
      disconnectedAt: at,
      reason,
      detail: null,
    }));
  }
}

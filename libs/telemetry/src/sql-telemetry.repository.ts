import type { SqlExecutor, UnitOfWork } from '@simfleet/persistence';
import {
  TelemetryStore,
  type LocationPoint,
  type LocationsQuery,
  type SessionTotalsQuery,
  type SessionTotalsRow,
  type TelemetryPoints,
  type UsageBucket,
  type UsageQuery,
} from './telemetry-store.js';

interface UsageRow {
  bucket: Date;
  bytes_up: number;
  bytes_down: number;
  sessions: number;
}

/**
 * Telemetry in SQL tables of the system of record (the embedded shape), keyed like the InfluxDB points: a
 * session by (SIM, session id), a location or status by (SIM, time). Writes join the unit of work in
 * progress (the ingestion's transaction), else run in their own.
 */
export class SqlTelemetryStore extends TelemetryStore {
  readonly kind = 'sql' as const;
  private readonly db;

  constructor(private readonly unit: UnitOfWork) {
    super();
    this.db = unit.database;
  }

  async init(): Promise<void> {}

  async write(points: TelemetryPoints): Promise<void> {
    const tx = this.unit.current();
    if (tx) return this.writeIn(tx, points);
    await this.db.transaction((own) => this.writeIn(own, points));
  }

  private async writeIn(tx: SqlExecutor, { sessions, locations, statuses }: TelemetryPoints): Promise<void> {
    if (sessions.length) {
      await tx.query(
        `insert into telemetry_data_session (account_id, iccid, session_id, started_at, ended_at, bytes_up, bytes_down, mcc, mnc, network, country, rat, cell_id)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
         on conflict (iccid, session_id) do update set ended_at = excluded.ended_at, bytes_up = excluded.bytes_up, bytes_down = excluded.bytes_down, cell_id = excluded.cell_id`,
        [
          sessions.map((s) => s.accountId),
          sessions.map((s) => s.iccid),
          sessions.map((s) => s.sessionId),
          sessions.map((s) => s.startedAt.toISOString()),
          sessions.map((s) => s.endedAt?.toISOString() ?? null),
          sessions.map((s) => s.bytesUp),
          sessions.map((s) => s.bytesDown),
          sessions.map((s) => s.mcc),
          sessions.map((s) => s.mnc),
          sessions.map((s) => s.network),
          sessions.map((s) => s.country),
          sessions.map((s) => s.rat),
          sessions.map((s) => s.cellId),
        ],
      );
    }
    if (locations.length) {
      await tx.query(
        `insert into telemetry_location (account_id, iccid, at, lat, lon, accuracy_m, source)
         select * from unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::float8[], $6::float8[], $7::text[])
         on conflict (iccid, at) do update set lat = excluded.lat, lon = excluded.lon, accuracy_m = excluded.accuracy_m, source = excluded.source`,
        [
          locations.map((l) => l.accountId),
          locations.map((l) => l.iccid),
          locations.map((l) => l.at.toISOString()),
          locations.map((l) => l.lat),
          locations.map((l) => l.lon),
          locations.map((l) => l.accuracyM),
          locations.map((l) => l.source),
        ],
      );
    }
    if (statuses.length) {
      await tx.query(
        `insert into telemetry_status (account_id, iccid, at, imei, signal_dbm, firmware)
         select * from unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::int[], $6::text[])
         on conflict (iccid, at) do update set imei = excluded.imei, signal_dbm = excluded.signal_dbm, firmware = excluded.firmware`,
        [
          statuses.map((s) => s.accountId),
          statuses.map((s) => s.iccid),
          statuses.map((s) => s.at.toISOString()),
          statuses.map((s) => s.imei),
          statuses.map((s) => s.signalDbm),
          statuses.map((s) => s.firmware),
        ],
      );
    }
  }

  async usage(q: UsageQuery): Promise<UsageBucket[]> {
    const rows = await this.db.query<UsageRow>(
      `select date_trunc($5, started_at at time zone 'UTC') at time zone 'UTC' as bucket,
              sum(bytes_up)::bigint as bytes_up, sum(bytes_down)::bigint as bytes_down, count(*)::bigint as sessions
         from telemetry_data_session
        where account_id = $1 and iccid = $2 and started_at >= $3 and started_at < $4
        group by 1 order by 1`,
      [q.accountId, q.iccid, q.from.toISOString(), q.to.toISOString(), q.interval],
    );
    return rows.map((r) => ({
      start: new Date(r.bucket),
      bytesUp: r.bytes_up,
      bytesDown: r.bytes_down,
      bytesTotal: r.bytes_up + r.bytes_down,
      sessions: r.sessions,
    }));
  }

  async sessionTotals(q: SessionTotalsQuery): Promise<SessionTotalsRow[]> {
    const rows = await this.db.query<{
      iccid: string;
      mcc: string;
      mnc: string;
      network: string | null;
      country: string | null;
      rat: string;
      bytes_up: number;
      bytes_down: number;
      sessions: number;
    }>(
      `select iccid, mcc, mnc, network, country, rat,
              sum(bytes_up)::bigint as bytes_up, sum(bytes_down)::bigint as bytes_down, count(*)::bigint as sessions
         from telemetry_data_session
        where account_id = $1 and started_at >= $2 and started_at < $3 and ($4::text is null or iccid = $4)
        group by iccid, mcc, mnc, network, country, rat`,
      [q.accountId, q.from.toISOString(), q.to.toISOString(), q.iccid ?? null],
    );
    return rows.map((r) => ({
      iccid: r.iccid,
      mcc: r.mcc,
      mnc: r.mnc,
      // The InfluxDB store cannot keep an empty tag: both stores say null.
      network: r.network || null,
      country: r.country || null,
      rat: r.rat,
      bytesUp: r.bytes_up,
      bytesDown: r.bytes_down,
      sessions: r.sessions,
    }));
  }

  async locations(q: LocationsQuery): Promise<LocationPoint[]> {
    const rows = await this.db.query<{
      account_id: string;
      iccid: string;
      at: Date;
      lat: number;
      lon: number;
      accuracy_m: number | null;
      source: 'gps' | 'cell';
    }>(
      `select account_id, iccid, at, lat, lon, accuracy_m, source from telemetry_location
        where account_id = $1 and iccid = $2 and at >= $3 and at < $4 and ($5::timestamptz is null or at > $5)
        order by at limit $6`,
      [q.accountId, q.iccid, q.from.toISOString(), q.to.toISOString(), q.after?.toISOString() ?? null, q.limit],
    );
    return rows.map((r) => ({
      accountId: r.account_id,
      iccid: r.iccid,
      at: new Date(r.at),
      lat: r.lat,
      lon: r.lon,
      accuracyM: r.accuracy_m ?? 0,
      source: r.source,
    }));
  }

  async ping(): Promise<void> {
    await this.db.ping();
  }

  async close(): Promise<void> {}
}

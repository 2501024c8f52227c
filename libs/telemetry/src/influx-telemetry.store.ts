import { Logger } from '@nestjs/common';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { DataSession } from '@simfleet/domain';
import { influxString, nanoseconds, toLine } from './line-protocol.js';
import {
  TelemetryStore,
  bucketStart,
  type LocationPoint,
  type LocationsQuery,
  type SessionTotalsQuery,
  type SessionTotalsRow,
  type TelemetryPoints,
  type UsageBucket,
  type UsageQuery,
} from './telemetry-store.js';

const gzip = promisify(gzipCallback);

/** InfluxDB write batches are capped at 5,000 lines, as InfluxData recommends. */
export const INFLUX_MAX_LINES = 5_000;

export interface InfluxOptions {
  url: string;
  database: string;
  username?: string;
  password?: string;
  token?: string;
  retentionDays: number;
  timeoutMs?: number;
}

interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: Array<Array<string | number | null>>;
}
interface InfluxQueryResponse {
  results: Array<{ statement_id: number; series?: InfluxSeries[]; error?: string }>;
  error?: string;
}

export class InfluxError extends Error {
  constructor(
    message: string,
    /** 4xx other than 429: the points themselves are wrong and retrying cannot help. */
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'InfluxError';
  }
}

const sessionKey = (s: Pick<DataSession, 'iccid' | 'sessionId'>) => `${s.iccid}\u0000${s.sessionId}`;

/** The series of a session's point: its SIM and the network it was first seen on (the dimensions of the reports). */
const sessionSeries = (s: DataSession): Record<string, string | null> => ({
  account: s.accountId,
  iccid: s.iccid,
  mcc: s.mcc,
  mnc: s.mnc,
  network: s.network,
  country: s.country,
  rat: s.rat,
});
const sameSeries = (a: Record<string, string | null>, b: Record<string, string | null>) =>
  Object.keys(a).every((tag) => (a[tag] || null) === (b[tag] || null));

/**
 * The time of a session's point: its start, plus a sub-millisecond offset drawn from its id (FNV-1a).
 * A point is one (series, time): without the offset two sessions of one SIM started in the same millisecond
 * would be one point. With it they collide only if their ids also draw the same of the 1,000,000 offsets
 * (one chance in a million for such a pair). The offset never moves a session out of its millisecond, so
 * every [from, to) query in milliseconds, and every bucket, sees it where the SQL store does.
 */
export function sessionTime(s: Pick<DataSession, 'sessionId' | 'startedAt'>): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < s.sessionId.length; i++) hash = Math.imul(hash ^ s.sessionId.charCodeAt(i), 0x01000193);
  return nanoseconds(s.startedAt.getTime(), (hash >>> 0) % 1_000_000);
}

/**
 * InfluxDB through the v1-compatible HTTP API (`/write` line protocol, `/query` InfluxQL), which 1.x,
 * 2.x (v1 compatibility) and 3.x serve. Measurements: data_session, location, status.
 */
export class InfluxTelemetryStore extends TelemetryStore {
  readonly kind = 'influx' as const;

  constructor(private readonly options: InfluxOptions) {
    super();
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...extra };
    if (this.options.token) headers.authorization = `Token ${this.options.token}`;
    else if (this.options.username)
      headers.authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ''}`).toString('base64')}`;
    return headers;
  }

  private database?: Promise<void>;

  /**
   * Creates the database (with our retention) if it does not exist; an existing one keeps the retention
   * its operator gave it. InfluxDB being down at startup is not fatal: writes retry this first.
   */
  async init(): Promise<void> {
    await this.ensureDatabase().catch((error: unknown) =>
      new Logger('InfluxDB').warn(`not reachable at startup (${String(error)}); writes will create the database when it answers`),
    );
  }

  private ensureDatabase(): Promise<void> {
    this.database ??= (async () => {
      const shown = await this.query('SHOW DATABASES', 'GET', false);
      const names = (shown.results[0]?.series?.[0]?.values ?? []).map((row) => String(row[0]));
      if (!names.includes(this.options.database)) {
        await this.query(`CREATE DATABASE ${JSON.stringify(this.options.database)} WITH DURATION ${this.options.retentionDays}d`, 'POST', false);
      }
    })().catch((error: unknown) => {
      this.database = undefined;
      throw error;
    });
    return this.database;
  }

  async write(points: TelemetryPoints): Promise<void> {
    const lines: string[] = [];
    for (const s of points.sessions) {
      lines.push(
        toLine(
          'data_session',
          sessionSeries(s),
          {
            session_id: { str: s.sessionId },
            bytes_up: { int: s.bytesUp },
            bytes_down: { int: s.bytesDown },
            bytes_total: { int: s.bytesUp + s.bytesDown },
            ended_at: s.endedAt ? { int: s.endedAt.getTime() } : null,
            cell_id: s.cellId ? { str: s.cellId } : null,
          },
          sessionTime(s),
        ),
      );
    }
    for (const l of points.locations) {
      lines.push(
        toLine(
          'location',
          { account: l.accountId, iccid: l.iccid, source: l.source },
          { lat: { float: l.lat }, lon: { float: l.lon }, accuracy_m: { float: l.accuracyM } },
          nanoseconds(l.at.getTime()),
        ),
      );
    }
    for (const s of points.statuses) {
      lines.push(
        toLine(
          'status',
          { account: s.accountId, iccid: s.iccid },
          {
            imei: { str: s.imei },
            signal_dbm: s.signalDbm === null ? null : { int: s.signalDbm },
            firmware: s.firmware ? { str: s.firmware } : null,
          },
          nanoseconds(s.at.getTime()),
        ),
      );
    }
    if (!lines.length) return;
    await this.ensureDatabase();
    await this.removeSuperseded(points);
    for (let i = 0; i < lines.length; i += INFLUX_MAX_LINES) await this.writeLines(lines.slice(i, i + INFLUX_MAX_LINES));
  }

  /**
   * A session's point is keyed by its series (SIM and network tags) and its time. An interrupted earlier run
   * of a batch may have written a session under the network its records gave, before another batch stored
   * the session first with another one (its key since): that point is deleted, or the session would count twice.
   */
  private async removeSuperseded(points: TelemetryPoints): Promise<void> {
    if (!points.superseded?.length) return;
    const now = new Map(points.sessions.map((s) => [sessionKey(s), s]));
    const statements: string[] = [];
    for (const earlier of points.superseded) {
      const current = now.get(sessionKey(earlier));
      const tags = sessionSeries(earlier);
      if (current && sameSeries(tags, sessionSeries(current)) && sessionTime(current) === sessionTime(earlier)) continue;
      const where = Object.entries(tags).map(([tag, value]) => `"${tag}" = ${influxString(value ?? '')}`);
      statements.push(`DELETE FROM data_session WHERE ${where.join(' AND ')} AND time = ${sessionTime(earlier)}`);
    }
    if (statements.length) await this.query(statements.join('; '), 'POST');
  }

  private async writeLines(lines: string[]): Promise<void> {
    const url = new URL('/write', this.options.url);
    url.searchParams.set('db', this.options.database);
    url.searchParams.set('precision', 'ns');
    const body = await gzip(Buffer.from(lines.join('\n')));
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: this.headers({ 'content-encoding': 'gzip', 'content-type': 'text/plain; charset=utf-8' }),
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new InfluxError(`InfluxDB is unreachable: ${(error as Error).message}`, false);
    }
    if (response.status !== 204) {
      const text = await response.text();
      throw new InfluxError(
        `InfluxDB refused the write (${response.status}): ${text.slice(0, 300)}`,
        response.status >= 400 && response.status < 500 && response.status !== 429,
      );
    }
  }

  async query(q: string, method: 'GET' | 'POST' = 'GET', withDb = true): Promise<InfluxQueryResponse> {
    const url = new URL('/query', this.options.url);
    if (withDb) url.searchParams.set('db', this.options.database);
    url.searchParams.set('epoch', 'ms');
    let response: Response;
    const body = new URLSearchParams({ q });
    try {
      response =
        method === 'POST'
          ? await fetch(url, { method, headers: this.headers(), body, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) })
          : await fetch(`${url}&${body}`, { headers: this.headers(), signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    } catch (error) {
      throw new InfluxError(`InfluxDB is unreachable: ${(error as Error).message}`, false);
    }
    const json = (await response.json()) as InfluxQueryResponse;
    const error = json.error ?? json.results?.find((r) => r.error)?.error;
    if (!response.ok || error) throw new InfluxError(`InfluxDB query failed (${response.status}): ${error ?? 'no detail'}`, response.status < 500);
    return json;
  }

  /**
   * A query read again while InfluxDB answers with a torn read. InfluxDB 1.x scans each field on its own, so a
   * query overlapping the first write to a new shard can see a point in one field and not yet in another (a
   * null sum beside a count, a location without its longitude); the write is whole a moment later (~10 ms).
   */
  private async readWhole(q: string, torn: (row: Array<string | number | null>, columns: string[]) => boolean): Promise<InfluxQueryResponse> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.query(q);
      const tornRead = (result.results[0]?.series ?? []).some((series) => series.values.some((row) => torn(row, series.columns)));
      if (!tornRead || attempt === 5) return result;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }

  /** `SELECT sum(bytes_up), sum(bytes_down), count(bytes_up)`: a counted session has both sums. */
  private sessionAggregates(q: string): Promise<InfluxQueryResponse> {
    return this.readWhole(q, ([, up, down, count]) => Number(count) > 0 && (up === null || down === null));
  }

  async usage(q: UsageQuery): Promise<UsageBucket[]> {
    // InfluxQL has no calendar months: group by day and fold days into months here.
    const groupBy = q.interval === 'hour' ? '1h' : '1d';
    const result = await this.sessionAggregates(
      `SELECT sum(bytes_up), sum(bytes_down), count(bytes_up) FROM data_session WHERE account = ${influxString(q.accountId)} AND iccid = ${influxString(q.iccid)} AND time >= ${q.from.getTime()}ms AND time < ${q.to.getTime()}ms GROUP BY time(${groupBy}) fill(none)`,
    );
    const buckets = new Map<number, UsageBucket>();
    for (const [time, up, down, count] of result.results[0]?.series?.[0]?.values ?? []) {
      const start = bucketStart(new Date(Number(time)), q.interval);
      const bucket = buckets.get(start.getTime()) ?? { start, bytesUp: 0, bytesDown: 0, bytesTotal: 0, sessions: 0 };
      bucket.bytesUp += Number(up ?? 0);
      bucket.bytesDown += Number(down ?? 0);
      bucket.bytesTotal = bucket.bytesUp + bucket.bytesDown;
      bucket.sessions += Number(count ?? 0);
      buckets.set(start.getTime(), bucket);
    }
    return [...buckets.values()].sort((a, b) => a.start.getTime() - b.start.getTime());
  }

  async sessionTotals(q: SessionTotalsQuery): Promise<SessionTotalsRow[]> {
    // One series per (SIM, network, RAT) tag set: GROUP BY the tags gives the same grain as the SQL store.
    const sim = q.iccid ? ` AND iccid = ${influxString(q.iccid)}` : '';
    const result = await this.sessionAggregates(
      `SELECT sum(bytes_up), sum(bytes_down), count(bytes_up) FROM data_session WHERE account = ${influxString(q.accountId)}${sim} AND time >= ${q.from.getTime()}ms AND time < ${q.to.getTime()}ms GROUP BY iccid, mcc, mnc, network, country, rat`,
    );
    const rows: SessionTotalsRow[] = [];
    for (const series of result.results[0]?.series ?? []) {
      const tags = series.tags ?? {};
      for (const [, up, down, count] of series.values) {
        if (!Number(count)) continue;
        rows.push({
          iccid: tags.iccid ?? '',
          mcc: tags.mcc ?? '',
          mnc: tags.mnc ?? '',
          network: tags.network || null,
          country: tags.country || null,
          rat: tags.rat ?? '',
          bytesUp: Number(up ?? 0),
          bytesDown: Number(down ?? 0),
          sessions: Number(count),
        });
      }
    }
    return rows;
  }

  async locations(q: LocationsQuery): Promise<LocationPoint[]> {
    const from = Math.max(q.from.getTime(), q.after ? q.after.getTime() + 1 : -Infinity);
    // Every location point has all four fields.
    const result = await this.readWhole(
      `SELECT lat, lon, accuracy_m, source FROM location WHERE account = ${influxString(q.accountId)} AND iccid = ${influxString(q.iccid)} AND time >= ${from}ms AND time < ${q.to.getTime()}ms ORDER BY time ASC LIMIT ${Math.trunc(q.limit)}`,
      (row, columns) => ['lat', 'lon', 'accuracy_m', 'source'].some((name) => row[columns.indexOf(name)] === null),
    );
    const series = result.results[0]?.series?.[0];
    if (!series) return [];
    const col = (name: string) => series.columns.indexOf(name);
    const [time, lat, lon, accuracy, source] = [col('time'), col('lat'), col('lon'), col('accuracy_m'), col('source')];
    return series.values.map((v) => ({
      accountId: q.accountId,
      iccid: q.iccid,
      at: new Date(Number(v[time])),
      lat: Number(v[lat]),
      lon: Number(v[lon]),
      accuracyM: Number(v[accuracy] ?? 0),
      source: v[source] === 'cell' ? 'cell' : 'gps',
    }));
  }

  async ping(): Promise<void> {
    const response = await fetch(new URL('/ping', this.options.url), { headers: this.headers(), signal: AbortSignal.timeout(3_000) });
    if (response.status !== 204 && response.status !== 200) throw new Error(`InfluxDB /ping answered ${response.status}`);
  }

  async close(): Promise<void> {}
}

import type { DataSession } from '@simfleet/domain';

export type UsageInterval = 'hour' | 'day' | 'month';

export interface LocationPoint {
  accountId: string;
  iccid: string;
  at: Date;
  lat: number;
  lon: number;
  accuracyM: number;
  source: 'gps' | 'cell';
}

export interface StatusPoint {
  accountId: string;
  iccid: string;
  at: Date;
  imei: string;
  signalDbm: number | null;
  firmware: string | null;
}

export interface TelemetryPoints {
  /** Each session once, as the system of record now holds it (first start and network, latest counters). */
  sessions: readonly DataSession[];
  locations: readonly LocationPoint[];
  statuses: readonly StatusPoint[];
  /**
   * Versions of some of these sessions that an interrupted earlier run of the same records may have written
   * (a retried or replayed batch): a store that keys a session by more than (SIM, session) removes any of them
   * kept under another key than the session's now, so that the session is never counted twice.
   */
  superseded?: readonly DataSession[];
}

export interface UsageQuery {
  accountId: string;
  iccid: string;
  from: Date;
  to: Date;
  interval: UsageInterval;
}

export interface UsageBucket {
  start: Date;
  bytesUp: number;
  bytesDown: number;
  bytesTotal: number;
  sessions: number;
}

/** Which sessions to total: an account's, optionally one SIM's, started in [from, to). */
export interface SessionTotalsQuery {
  accountId: string;
  from: Date;
  to: Date;
  iccid?: string;
}

/**
 * Sessions summed per (SIM, network, RAT) — the finest grain every report folds from, so both stores
 * answer with the same rows and the grouping into SIM, network, country or RAT happens once, in code.
 */
export interface SessionTotalsRow {
  iccid: string;
  mcc: string;
  mnc: string;
  network: string | null;
  country: string | null;
  rat: string;
  bytesUp: number;
  bytesDown: number;
  sessions: number;
}

/** A page of a SIM's locations in [from, to), oldest first, strictly after `after` when given. */
export interface LocationsQuery {
  accountId: string;
  iccid: string;
  from: Date;
  to: Date;
  limit: number;
  after?: Date;
}

/**
 * The telemetry time-series port: InfluxDB in the servers shape, SQL tables of the system of record in
 * the embedded shape. Writes are idempotent: a session re-written with the same key overwrites. A session
 * is keyed by its SIM and its id in both (InfluxDB: its SIM's series and a time of its own, see
 * InfluxTelemetryStore), so two sessions never merge, whenever they started.
 */
export abstract class TelemetryStore {
  abstract readonly kind: 'influx' | 'sql';
  abstract init(): Promise<void>;
  /**
   * Inside a unit of work (UnitOfWork.run), the SQL store writes in its transaction; InfluxDB cannot join
   * it: ingestion writes it before the commit, so a failure rolls the batch back and its retry (or the
   * replay of its dead letter) writes both stores again.
   */
  abstract write(points: TelemetryPoints): Promise<void>;
  /** Buckets in event time, [from, to), UTC. */
  abstract usage(query: UsageQuery): Promise<UsageBucket[]>;
  /** Session totals per (SIM, MCC, MNC, network, country, RAT), sessions started in [from, to). */
  abstract sessionTotals(query: SessionTotalsQuery): Promise<SessionTotalsRow[]>;
  /** Location fixes in event time, [from, to), ascending. */
  abstract locations(query: LocationsQuery): Promise<LocationPoint[]>;
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;
}

/** Start of the bucket containing `at`, in UTC. */
export function bucketStart(at: Date, interval: UsageInterval): Date {
  const d = new Date(at);
  if (interval === 'month') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  if (interval === 'day') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()));
}

export const isEmptyPoints = (p: TelemetryPoints) => !p.sessions.length && !p.locations.length && !p.statuses.length;

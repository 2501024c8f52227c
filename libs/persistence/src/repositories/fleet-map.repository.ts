import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../database.js';

/** A SIM's last known position, as the fleet map shows it. */
export interface SimPosition {
  iccid: string;
  name: string | null;
  status: string;
  lat: number;
  lon: number;
  accuracyM: number | null;
  at: Date;
}

/** West, south, east, north in degrees; west > east crosses the antimeridian. */
export interface BoundingBox {
  west: number;
  south: number;
  east: number;
  north: number;
}

/** SIMs whose positions fall in one cell of the grid: their count and mean position, and the SIM itself when alone. */
export interface PositionCluster {
  lat: number;
  lon: number;
  count: number;
  iccid: string | null;
  name: string | null;
  status: string | null;
}

interface PositionRow {
  iccid: string;
  name: string | null;
  status: string;
  last_lat: number;
  last_lon: number;
  last_location_accuracy_m: number | null;
  last_location_at: Date;
}

function boxConditions(box: BoundingBox | undefined, params: unknown[]): string[] {
  if (!box) return [];
  params.push(box.south, box.north, box.west, box.east);
  const [s, n, w, e] = [params.length - 3, params.length - 2, params.length - 1, params.length].map((i) => `$${i}`);
  return [`last_lat between ${s} and ${n}`, box.west <= box.east ? `last_lon between ${w} and ${e}` : `(last_lon >= ${w} or last_lon <= ${e})`];
}

/** Last known positions of an account's SIMs (the `last_*` location columns of `sims`), for the fleet map. */
@Injectable()
export class FleetMapRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** A page of positions in ICCID order, after `afterIccid`. */
  async positions(accountId: string, filter: { statuses?: string[]; box?: BoundingBox }, limit: number, afterIccid?: string): Promise<SimPosition[]> {
    const params: unknown[] = [accountId];
    const where = ['account_id = $1', 'last_lat is not null', 'last_lon is not null', ...boxConditions(filter.box, params)];
    if (filter.statuses?.length) {
      params.push(filter.statuses);
      where.push(`status = any($${params.length}::text[])`);
    }
    if (afterIccid) {
      params.push(afterIccid);
      where.push(`iccid > $${params.length}`);
    }
    params.push(limit);
    const rows = await this.db.query<PositionRow>(
      `select iccid, name, status, last_lat, last_lon, last_location_accuracy_m, last_location_at from sims
        where ${where.join(' and ')} order by iccid limit $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      iccid: r.iccid,
      name: r.name,
      status: r.status,
      lat: r.last_lat,
      lon: r.last_lon,
      accuracyM: r.last_location_accuracy_m,
      at: r.last_location_at,
    }));
  }

  /** Positions grouped into square cells of `cellDegrees`, in one pass: a million SIMs answer in a few hundred cells. */
  async clusters(accountId: string, filter: { statuses?: string[]; box?: BoundingBox }, cellDegrees: number): Promise<PositionCluster[]> {
    const params: unknown[] = [accountId, cellDegrees];
    const where = ['account_id = $1', 'last_lat is not null', 'last_lon is not null', ...boxConditions(filter.box, params)];
    if (filter.statuses?.length) {
      params.push(filter.statuses);
      where.push(`status = any($${params.length}::text[])`);
    }
    const rows = await this.db.query<{ lat: number; lon: number; n: number; iccid: string; name: string | null; status: string }>(
      `select avg(last_lat)::float8 as lat, avg(last_lon)::float8 as lon, count(*)::bigint as n,
              min(iccid) as iccid, min(name) as name, min(status) as status
         from sims where ${where.join(' and ')}
        group by floor((last_lon + 180) / $2), floor((last_lat + 90) / $2)`,
      params,
    );
    return rows.map((r) => {
      const alone = Number(r.n) === 1;
      return {
        lat: r.lat,
        lon: r.lon,
        count: Number(r.n),
        iccid: alone ? r.iccid : null,
        name: alone ? r.name : null,
        status: alone ? r.status : null,
      };
    });
  }
}

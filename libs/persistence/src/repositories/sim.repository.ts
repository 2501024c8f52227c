import { Inject, Injectable } from '@nestjs/common';
import type { FormFactor, Sim, SimCredentials, SimHistoryEntry, StockSim } from '../../../domain/src/sims/sim.js';
import type { SimBlock, SimStatus } from '../../../domain/src/sims/sim-lifecycle.js';
import { Database, type SqlExecutor } from '../database.js';

interface SimRow {
  iccid: string;
  imsi: string;
  msisdn: string | null;
  eid: string | null;
  form_factor: FormFactor | null;
  account_id: string | null;
  order_id: string | null;
  name: string | null;
  status: SimStatus;
  blocks: SimBlock[];
  tags: Record<string, string>;
  group_id: string | null;
  labels: string[];
  end_user_device: boolean;
  end_user_device_declared_by: string | null;
  end_user_device_declared_at: Date | null;
  authorized_imeis: string[];
  secret_hash: string | null;
  first_activated_at: Date | null;
  last_seen_at: Date | null;
  mcc: string | null;
  mnc: string | null;
  network: string | null;
  country: string | null;
  rat: string | null;
  imei: string | null;
  signal_dbm: number | null;
  firmware: string | null;
  last_lat: number | null;
  last_lon: number | null;
  last_location_accuracy_m: number | null;
  last_location_source: string | null;
  last_location_at: Date | null;
  allocated_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const toSim = (r: SimRow): Sim => ({
  iccid: r.iccid,
  imsi: r.imsi,
  msisdn: r.msisdn,
  eid: r.eid,
  formFactor: r.form_factor,
  accountId: r.account_id,
  orderId: r.order_id,
  name: r.name,
  status: r.status,
  blocks: r.blocks,
  tags: r.tags,
  groupId: r.group_id,
  labels: r.labels,
  endUserDevice: { declared: r.end_user_device, declaredBy: r.end_user_device_declared_by, declaredAt: r.end_user_device_declared_at },
  authorizedImeis: r.authorized_imeis,
  hasCredentials: r.secret_hash !== null,
  firstActivatedAt: r.first_activated_at,
  lastSeenAt: r.last_seen_at,
  mcc: r.mcc,
  mnc: r.mnc,
  network: r.network,
  country: r.country,
  rat: r.rat,
  imei: r.imei,
  signalDbm: r.signal_dbm,
  firmware: r.firmware,
  lastLocation:
    r.last_lat !== null && r.last_lon !== null && r.last_location_at
      ? { lat: r.last_lat, lon: r.last_lon, accuracyM: r.last_location_accuracy_m, source: r.last_location_source, at: r.last_location_at }
      : null,
  allocatedAt: r.allocated_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface SimTelemetryUpdate {
  iccid: string;
  lastSeenAt: Date;
  mcc?: string;
  mnc?: string;
  network?: string | null;
  country?: string | null;
  rat?: string;
  imei?: string;
  signalDbm?: number | null;
  firmware?: string | null;
  location?: { lat: number; lon: number; accuracyM: number; source: string; at: Date };
}

@Injectable()
export class SimRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Adds SIMs to stock; ICCIDs or IMSIs already known are skipped and returned. */
  async insertStock(sims: StockSim[], tx: SqlExecutor = this.db): Promise<{ inserted: string[] }> {
    const rows = await tx.query<{ iccid: string }>(
      `insert into sims (iccid, imsi, msisdn, eid, form_factor)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
       on conflict do nothing returning iccid`,
      [sims.map((s) => s.iccid), sims.map((s) => s.imsi), sims.map((s) => s.msisdn), sims.map((s) => s.eid), sims.map((s) => s.formFactor)],
    );
    return { inserted: rows.map((r) => r.iccid) };
  }

  async stockCounts(): Promise<Array<{ formFactor: string | null; available: number }>> {
    const rows = await this.db.query<{ form_factor: string | null; n: number }>(
      'select form_factor, count(*)::bigint as n from sims where account_id is null group by form_factor order by form_factor',
    );
    return rows.map((r) => ({ formFactor: r.form_factor, available: r.n }));
  }

  async listStock(limit: number, after?: string): Promise<Sim[]> {
    const rows = await this.db.query<SimRow>(
      'select * from sims where account_id is null and ($1::text is null or iccid > $1) order by iccid limit $2',
      [after ?? null, limit],
    );
    return rows.map(toSim);
  }

  /** Reserves `quantity` stock SIMs of a form factor for an account, or none if there are not enough. */
  async allocate(tx: SqlExecutor, accountId: string, orderId: string, formFactor: FormFactor, quantity: number, at: Date): Promise<string[]> {
    const candidates = await tx.query<{ iccid: string }>(
      `select iccid from sims where account_id is null and form_factor = $1 order by iccid limit $2 for update skip locked`,
      [formFactor, quantity],
    );
    if (candidates.length < quantity) return [];
    const rows = await tx.query<{ iccid: string }>(
      `update sims set account_id = $1, order_id = $2, allocated_at = $3, updated_at = $3 where iccid = any($4::text[]) returning iccid`,
      [accountId, orderId, at, candidates.map((c) => c.iccid)],
    );
    return rows.map((r) => r.iccid);
  }

  /** Returns an order's SIMs to stock (cancellation before shipping). */
  async release(tx: SqlExecutor, orderId: string): Promise<number> {
    const rows = await tx.query(
      `update sims set account_id = null, order_id = null, allocated_at = null, updated_at = now()
        where order_id = $1 and status = 'inventory' returning iccid`,
      [orderId],
    );
    return rows.length;
  }

  /** A SIM of the account by ICCID or by name. */
  async findByRef(accountId: string, ref: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<Sim | null> {
    const [row] = await tx.query<SimRow>(
      `select * from sims where account_id = $1 and (iccid = $2 or name = $2) order by (iccid = $2) desc limit 1${forUpdate ? ' for update' : ''}`,
      [accountId, ref],
    );
    return row ? toSim(row) : null;
  }

  /** For device authentication: by ICCID or by name (unique per account, so a name must be unambiguous). */
  async findCredentials(ref: string): Promise<SimCredentials | null> {
    const rows = await this.db.query<{ iccid: string; account_id: string; status: SimStatus; blocks: SimBlock[]; secret_hash: string | null }>(
      `select iccid, account_id, status, blocks, secret_hash from sims where account_id is not null and (iccid = $1 or name = $1) limit 2`,
      [ref],
    );
    const exact = rows.find((r) => r.iccid === ref) ?? (rows.length === 1 ? rows[0] : undefined);
    return exact
      ? { iccid: exact.iccid, accountId: exact.account_id, status: exact.status, blocks: exact.blocks, secretHash: exact.secret_hash }
      : null;
  }

  async setStatus(
    tx: SqlExecutor,
    iccid: string,
    status: SimStatus,
    at: Date,
    changes: { secretHash?: string | null; firstActivatedAt?: Date } = {},
  ): Promise<Sim> {
    const [row] = await tx.query<SimRow>(
      `update sims set status = $2, updated_at = $3,
              secret_hash = case when $4::boolean then $5 else secret_hash end,
              first_activated_at = coalesce(first_activated_at, $6)
        where iccid = $1 returning *`,
      [iccid, status, at, 'secretHash' in changes, changes.secretHash ?? null, changes.firstActivatedAt ?? null],
    );
    return toSim(row);
  }

  async setSecretHash(tx: SqlExecutor, iccid: string, secretHash: string, at: Date): Promise<void> {
    await tx.query('update sims set secret_hash = $2, updated_at = $3 where iccid = $1', [iccid, secretHash, at]);
  }

  async appendHistory(tx: SqlExecutor, entry: Omit<SimHistoryEntry, 'id'> & { accountId: string }): Promise<void> {
    await tx.query(
      'insert into sim_history (iccid, account_id, from_status, to_status, action, actor, reason, blocks, at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [entry.iccid, entry.accountId, entry.from, entry.to, entry.action, entry.actor, entry.reason, entry.blocks, entry.at],
    );
  }

  async history(iccid: string, limit: number, afterId?: number): Promise<SimHistoryEntry[]> {
    const rows = await this.db.query<{
      id: number;
      iccid: string;
      from_status: SimStatus | null;
      to_status: SimStatus;
      action: string;
      actor: string;
      reason: string | null;
      blocks: string[];
      at: Date;
    }>('select * from sim_history where iccid = $1 and id > $2 order by id limit $3', [iccid, afterId ?? 0, limit]);
    return rows.map((r) => ({
      id: r.id,
      iccid: r.iccid,
      from: r.from_status,
      to: r.to_status,
      action: r.action,
      actor: r.actor,
      reason: r.reason,
      blocks: r.blocks,
      at: r.at,
    }));
  }

  async listByAccount(accountId: string, limit: number, after?: string): Promise<Sim[]> {
    const rows = await this.db.query<SimRow>(
      'select * from sims where account_id = $1 and ($2::text is null or iccid > $2) order by iccid limit $3',
      [accountId, after ?? null, limit],
    );
    return rows.map(toSim);
  }

  /** Telemetry's view of a SIM: the latest network, device and location facts, never moving backwards in time. */
  async applyTelemetry(tx: SqlExecutor, updates: SimTelemetryUpdate[]): Promise<void> {
    for (const u of updates) {
      await tx.query(
        `update sims set
            last_seen_at = greatest(coalesce(last_seen_at, $2), $2),
            mcc = coalesce($3, mcc), mnc = coalesce($4, mnc), network = coalesce($5, network), country = coalesce($6, country), rat = coalesce($7, rat),
            imei = coalesce($8, imei), signal_dbm = coalesce($9, signal_dbm), firmware = coalesce($10, firmware),
            last_lat = case when $11::float8 is not null and ($14::timestamptz >= last_location_at or last_location_at is null) then $11 else last_lat end,
            last_lon = case when $12::float8 is not null and ($14::timestamptz >= last_location_at or last_location_at is null) then $12 else last_lon end,
            last_location_accuracy_m = case when $11::float8 is not null and ($14::timestamptz >= last_location_at or last_location_at is null) then $13 else last_location_accuracy_m end,
            last_location_source = case when $11::float8 is not null and ($14::timestamptz >= last_location_at or last_location_at is null) then $15 else last_location_source end,
            last_location_at = case when $11::float8 is not null and ($14::timestamptz >= last_location_at or last_location_at is null) then $14 else last_location_at end
          where iccid = $1`,
        [
          u.iccid,
          u.lastSeenAt,
          u.mcc ?? null,
          u.mnc ?? null,
          u.network ?? null,
          u.country ?? null,
          u.rat ?? null,
          u.imei ?? null,
          u.signalDbm ?? null,
          u.firmware ?? null,
          u.location?.lat ?? null,
          u.location?.lon ?? null,
          u.location?.accuracyM ?? null,
          u.location?.at ?? null,
          u.location?.source ?? null,
        ],
      );
    }
  }
  /** Highest ICCID already issued under a prefix (generated stock continues after it). */
  async highestIccidWithPrefix(tx: SqlExecutor, prefix: string): Promise<string | null> {
    const [row] = await tx.query<{ iccid: string }>(
      `select iccid from sims where iccid like $1 and length(iccid) = 19 order by iccid desc limit 1`,
      [`${prefix}%`],
    );
    return row?.iccid ?? null;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { FormFactor, Sim, SimCredentials, SimHistoryEntry, StockSim, SimBlock, SimStatus } from '@simfleet/domain';
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

type CredentialsRow = { iccid: string; account_id: string | null; status: SimStatus; blocks: SimBlock[]; secret_hash: string | null };

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

  /**
   * For device authentication: by ICCID, or by name within the given account (a name is unique only in
   * its account, so a name alone could match SIMs of several accounts; docs/mqtt.md).
   */
  async findCredentials(ref: { iccid: string } | { accountId: string; name: string }): Promise<SimCredentials | null> {
    const [row] =
      'iccid' in ref
        ? await this.db.query<CredentialsRow>(
            'select iccid, account_id, status, blocks, secret_hash from sims where iccid = $1 and account_id is not null',
            [ref.iccid],
          )
        : await this.db.query<CredentialsRow>('select iccid, account_id, status, blocks, secret_hash from sims where account_id = $1 and name = $2', [
            ref.accountId,
            ref.name,
          ]);
    return row ? { iccid: row.iccid, accountId: row.account_id!, status: row.status, blocks: row.blocks, secretHash: row.secret_hash } : null;
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

  /** Stores a secret again in another form (same secret), unless it changed since it was read (compare and set). */
  async replaceSecretHash(iccid: string, expected: string, secretHash: string): Promise<boolean> {
    const rows = await this.db.query('update sims set secret_hash = $3 where iccid = $1 and secret_hash = $2 returning iccid', [
      iccid,
      expected,
      secretHash,
    ]);
    return rows.length === 1;
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

  /**
   * Telemetry's view of a SIM: the latest network, device and location facts, never moving backwards in
   * time. One statement per batch; rows are locked in ICCID order first, so that concurrent batches
   * touching the same SIMs queue behind each other instead of deadlocking.
   */
  /**
   * What the SIMs' latest records say. A row is rewritten only when something changed, or when it was last
   * seen at least `lastSeenResolutionMs` ago: each update of a SIM rewrites every index of the table (its
   * last-seen time is indexed for sorting), and a device streaming records would otherwise rewrite its row
   * for every batch. Rows are locked in ICCID order, so concurrent batches never deadlock.
   */
  async applyTelemetry(tx: SqlExecutor, updates: SimTelemetryUpdate[], lastSeenResolutionMs: number): Promise<void> {
    if (!updates.length) return;
    // JSON rows: json_to_recordset's fixed estimate keeps the join with `sims` on its primary key.
    const input = (rows: SimTelemetryUpdate[]) =>
      JSON.stringify(
        rows.map((u) => ({
          iccid: u.iccid,
          seen_at: u.lastSeenAt.toISOString(),
          mcc: u.mcc ?? null,
          mnc: u.mnc ?? null,
          network: u.network ?? null,
          country: u.country ?? null,
          rat: u.rat ?? null,
          imei: u.imei ?? null,
          signal_dbm: u.signalDbm ?? null,
          firmware: u.firmware ?? null,
          lat: u.location?.lat ?? null,
          lon: u.location?.lon ?? null,
          accuracy_m: u.location?.accuracyM ?? null,
          location_at: u.location?.at.toISOString() ?? null,
          source: u.location?.source ?? null,
        })),
      );
    const columns = `iccid text, seen_at timestamptz, mcc text, mnc text, network text, country text, rat text, imei text, signal_dbm int, firmware text,
                     lat float8, lon float8, accuracy_m float8, location_at timestamptz, source text`;
    const stale = await tx.query<{ iccid: string }>(
      `select s.iccid from sims s join json_to_recordset($1::json) as u(${columns}) on u.iccid = s.iccid
        where s.last_seen_at is null or u.seen_at >= s.last_seen_at + $2 * interval '1 millisecond'
           or (u.mcc is not null and u.mcc is distinct from s.mcc) or (u.mnc is not null and u.mnc is distinct from s.mnc)
           or (u.network is not null and u.network is distinct from s.network) or (u.country is not null and u.country is distinct from s.country)
           or (u.rat is not null and u.rat is distinct from s.rat) or (u.imei is not null and u.imei is distinct from s.imei)
           or (u.signal_dbm is not null and u.signal_dbm is distinct from s.signal_dbm) or (u.firmware is not null and u.firmware is distinct from s.firmware)
           or (u.lat is not null and (s.last_location_at is null or u.location_at > s.last_location_at
               or (u.location_at = s.last_location_at
                   and (u.lat, u.lon, u.accuracy_m, u.source) is distinct from (s.last_lat, s.last_lon, s.last_location_accuracy_m, s.last_location_source))))
        order by s.iccid for update of s`,
      [input(updates), lastSeenResolutionMs],
    );
    if (!stale.length) return;
    const locked = new Set(stale.map((r) => r.iccid));
    await tx.query(
      `update sims s set
          last_seen_at = greatest(coalesce(s.last_seen_at, u.seen_at), u.seen_at),
          mcc = coalesce(u.mcc, s.mcc), mnc = coalesce(u.mnc, s.mnc), network = coalesce(u.network, s.network),
          country = coalesce(u.country, s.country), rat = coalesce(u.rat, s.rat),
          imei = coalesce(u.imei, s.imei), signal_dbm = coalesce(u.signal_dbm, s.signal_dbm), firmware = coalesce(u.firmware, s.firmware),
          last_lat = case when u.newer then u.lat else s.last_lat end,
          last_lon = case when u.newer then u.lon else s.last_lon end,
          last_location_accuracy_m = case when u.newer then u.accuracy_m else s.last_location_accuracy_m end,
          last_location_source = case when u.newer then u.source else s.last_location_source end,
          last_location_at = case when u.newer then u.location_at else s.last_location_at end
        from (
          select t.*, (t.lat is not null and (x.last_location_at is null or t.location_at >= x.last_location_at)) as newer
            from json_to_recordset($1::json) as t(${columns})
            join sims x on x.iccid = t.iccid
        ) u
       where s.iccid = u.iccid`,
      [input(updates.filter((u) => locked.has(u.iccid)))],
    );
  }

  /** Highest ICCID already issued under a prefix (generated stock continues after it). */
  async highestIccidWithPrefix(tx: SqlExecutor, prefix: string): Promise<string | null> {
    const [row] = await tx.query<{ iccid: string }>(`select iccid from sims where iccid like $1 and length(iccid) = 19 order by iccid desc limit 1`, [
      `${prefix}%`,
    ]);
    return row?.iccid ?? null;
  }
}

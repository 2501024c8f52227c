import { Inject, Injectable } from '@nestjs/common';
import type { Sim, PolicySettings, SimListFilter, SimSort, SimSortField } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';
import { toSim } from './sim.repository.js';

/**
 * Where a keyset page stopped: in the section of rows whose sort key is set (`value`) or null (`null`),
 * at this sort key and ICCID. Nullable keys sort nulls last ascending and first descending (PostgreSQL's
 * default), so each section is one index range scan.
 */
export interface SimListPosition {
  section: 'value' | 'null';
  value: string | null;
  iccid: string;
}

export interface SimListRow {
  sim: Sim;
  position: SimListPosition;
}

export interface FleetSummary {
  total: number;
  byStatus: Array<{ status: string; count: number }>;
  byGroup: Array<{ groupId: string | null; groupName: string | null; count: number }>;
  byCountry: Array<{ country: string | null; count: number }>;
  byNetwork: Array<{ network: string | null; count: number }>;
}

/** The organisation fields a PATCH may change, as stored. */
export interface SimOrganisationChanges {
  name?: string | null;
  tags?: Record<string, string>;
  groupId?: string | null;
  labels?: string[];
  endUserDevice?: { declared: boolean; declaredBy: string | null; declaredAt: Date | null };
  authorizedImeis?: string[];
  dataLimitBytes?: number | null;
  allowedCountries?: string[] | null;
}

const SORT_COLUMN: Record<SimSortField, { column: string; type: string; nullable: boolean }> = {
  iccid: { column: 'iccid', type: 'text', nullable: false },
  name: { column: 'name', type: 'text', nullable: true },
  lastSeenAt: { column: 'last_seen_at', type: 'timestamptz', nullable: true },
  createdAt: { column: 'created_at', type: 'timestamptz', nullable: false },
};

const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** SQL conditions of a list filter, appended to `params` (placeholders continue after those already there). */
export function filterConditions(filter: SimListFilter, params: unknown[]): string[] {
  const where: string[] = [];
  const add = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.status?.length) where.push(`status = any(${add(filter.status)}::text[])`);
  if (filter.tags && Object.keys(filter.tags).length) where.push(`tags @> ${add(JSON.stringify(filter.tags))}::jsonb`);
  if (filter.groupId !== undefined) where.push(filter.groupId === null ? 'group_id is null' : `group_id = ${add(filter.groupId)}`);
  if (filter.network !== undefined) where.push(`network = ${add(filter.network)}`);
  if (filter.country !== undefined) where.push(`country = ${add(filter.country)}`);
  if (filter.lastSeenBefore) where.push(`last_seen_at < ${add(filter.lastSeenBefore)}`);
  if (filter.lastSeenAfter) where.push(`last_seen_at >= ${add(filter.lastSeenAfter)}`);
  if (filter.endUserDevice !== undefined) where.push(filter.endUserDevice ? 'end_user_device' : 'not end_user_device');
  if (filter.q) {
    const q = filter.q;
    const alternatives = [`name ilike ${add(`%${escapeLike(q)}%`)}`];
    // ICCID and MSISDN match by prefix (indexed with text_pattern_ops); an MSISDN may be typed without its '+'.
    if (/^\d+$/.test(q)) alternatives.push(`iccid like ${add(`${q}%`)}`);
    if (/^\+?\d+$/.test(q)) alternatives.push(`msisdn like ${add(`${q.startsWith('+') ? q : `+${q}`}%`)}`);
    where.push(`(${alternatives.join(' or ')})`);
  }
  return where;
}

@Injectable()
export class SimFleetRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** One page (`limit` rows) of an account's SIMs matching `filter`, in `sort` order, after `after`. */
  async list(accountId: string, filter: SimListFilter, sort: SimSort, limit: number, after?: SimListPosition): Promise<SimListRow[]> {
    const { column, type, nullable } = SORT_COLUMN[sort.field];
    const sections: Array<'value' | 'null'> = !nullable ? ['value'] : sort.descending ? ['null', 'value'] : ['value', 'null'];
    const direction = sort.descending ? 'desc' : 'asc';
    const comparator = sort.descending ? '<' : '>';
    const rows: SimListRow[] = [];
    for (const section of sections.slice(after ? sections.indexOf(after.section) : 0)) {
      const params: unknown[] = [accountId];
      const where = ['account_id = $1', ...filterConditions(filter, params)];
      const resume = after && after.section === section ? after : undefined;
      if (section === 'value') {
        if (nullable) where.push(`${column} is not null`);
        if (resume && column === 'iccid') {
          params.push(resume.iccid);
          where.push(`iccid ${comparator} $${params.length}`);
        } else if (resume) {
          params.push(resume.value, resume.iccid);
          where.push(`(${column}, iccid) ${comparator} ($${params.length - 1}::${type}, $${params.length})`);
        }
      } else {
        where.push(`${column} is null`);
        if (resume) {
          params.push(resume.iccid);
          where.push(`iccid ${comparator} $${params.length}`);
        }
      }
      params.push(limit - rows.length);
      const order = section === 'value' && column !== 'iccid' ? `${column} ${direction}, iccid ${direction}` : `iccid ${direction}`;
      // The sort key comes back as text: a timestamp keeps its microseconds, so the cursor resumes exactly.
      const found = await this.db.query<Parameters<typeof toSim>[0] & { sort_key: string | null }>(
        `select *, ${column}::text as sort_key from sims where ${where.join(' and ')} order by ${order} limit $${params.length}`,
        params,
      );
      for (const row of found)
        rows.push({ sim: toSim(row), position: { section, value: section === 'value' ? row.sort_key : null, iccid: row.iccid } });
      if (rows.length >= limit) break;
    }
    return rows;
  }

  /** ICCIDs of an account's SIMs matching `filter`, in ICCID order, at most `max`. */
  async matchingIccids(accountId: string, filter: SimListFilter, max: number): Promise<string[]> {
    const params: unknown[] = [accountId];
    const where = ['account_id = $1', ...filterConditions(filter, params)];
    params.push(max);
    const rows = await this.db.query<{ iccid: string }>(
      `select iccid from sims where ${where.join(' and ')} order by iccid limit $${params.length}`,
      params,
    );
    return rows.map((r) => r.iccid);
  }

  /** Counts of an account's SIMs by status, group, country and network, in one scan (grouping sets). */
  async summary(accountId: string): Promise<FleetSummary> {
    const rows = await this.db.query<{ dimension: string; key: string | null; n: number }>(
      `select case when grouping(status) = 0 then 'status' when grouping(group_id) = 0 then 'group'
                   when grouping(country) = 0 then 'country' else 'network' end as dimension,
              coalesce(status, group_id, country, network) as key, count(*)::bigint as n
         from sims where account_id = $1
        group by grouping sets ((status), (group_id), (country), (network))`,
      [accountId],
    );
    const groupIds = rows.filter((r) => r.dimension === 'group' && r.key !== null).map((r) => r.key as string);
    const names = new Map(
      groupIds.length
        ? (
            await this.db.query<{ id: string; name: string }>('select id, name from sim_groups where account_id = $1 and id = any($2::text[])', [
              accountId,
              groupIds,
            ])
          ).map((g) => [g.id, g.name] as const)
        : [],
    );
    const of = (dimension: string) =>
      rows.filter((r) => r.dimension === dimension).sort((a, b) => b.n - a.n || String(a.key).localeCompare(String(b.key)));
    const byStatus = new Map(of('status').map((r) => [r.key as string, r.n]));
    return {
      total: of('status').reduce((sum, r) => sum + r.n, 0),
      byStatus: ['inventory', 'active', 'suspended', 'terminated'].map((status) => ({ status, count: byStatus.get(status) ?? 0 })),
      byGroup: of('group').map((r) => ({ groupId: r.key, groupName: r.key ? (names.get(r.key) ?? null) : null, count: r.n })),
      byCountry: of('country').map((r) => ({ country: r.key, count: r.n })),
      byNetwork: of('network').map((r) => ({ network: r.key, count: r.n })),
    };
  }

  /** The SIM's own policy overrides (null = inherit). */
  async overrides(iccid: string, tx: SqlExecutor = this.db): Promise<PolicySettings> {
    const [row] = await tx.query<{ data_limit_bytes: number | null; allowed_countries: string[] | null }>(
      'select data_limit_bytes, allowed_countries from sims where iccid = $1',
      [iccid],
    );
    return { monthlyDataLimitBytes: row?.data_limit_bytes ?? null, allowedCountries: row?.allowed_countries ?? null };
  }

  /** The ICCID of the account's SIM that holds `name`, other than `exceptIccid`. */
  async nameHolder(tx: SqlExecutor, accountId: string, name: string, exceptIccid: string): Promise<string | null> {
    const [row] = await tx.query<{ iccid: string }>('select iccid from sims where account_id = $1 and name = $2 and iccid <> $3', [
      accountId,
      name,
      exceptIccid,
    ]);
    return row?.iccid ?? null;
  }

  async update(tx: SqlExecutor, iccid: string, changes: SimOrganisationChanges, at: Date): Promise<Sim> {
    const params: unknown[] = [iccid, at];
    const sets = ['updated_at = $2'];
    const set = (column: string, value: unknown, cast = '') => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if ('name' in changes) set('name', changes.name ?? null);
    if (changes.tags) set('tags', JSON.stringify(changes.tags), '::jsonb');
    if ('groupId' in changes) set('group_id', changes.groupId ?? null);
    if (changes.labels) set('labels', changes.labels, '::text[]');
    if (changes.endUserDevice) {
      set('end_user_device', changes.endUserDevice.declared);
      set('end_user_device_declared_by', changes.endUserDevice.declaredBy);
      set('end_user_device_declared_at', changes.endUserDevice.declaredAt);
    }
    if (changes.authorizedImeis) set('authorized_imeis', changes.authorizedImeis, '::text[]');
    if ('dataLimitBytes' in changes) set('data_limit_bytes', changes.dataLimitBytes ?? null);
    if ('allowedCountries' in changes) set('allowed_countries', changes.allowedCountries ?? null, '::text[]');
    const [row] = await tx.query<Parameters<typeof toSim>[0]>(`update sims set ${sets.join(', ')} where iccid = $1 returning *`, params);
    return toSim(row);
  }
}

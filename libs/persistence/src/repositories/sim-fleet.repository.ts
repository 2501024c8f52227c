import { Inject, Injectable } from '@nestjs/common';
import { SIM_STATUSES, type Sim, type PolicySettings, type SimListFilter, type SimSort, type SimSortField } from '@simfleet/domain';
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

const STATUSES: readonly string[] = SIM_STATUSES;

/**
 * Index entries walked in sort order before a page gives up walking and gathers its matches instead
 * (at least this many, and 20 per row asked). Walking is cheap per entry (index-only) and stops as soon as
 * the page is full; gathering costs one row fetch per match. A filter matching fewer than about 1 % of the
 * account's SIMs is therefore gathered, after a walk of a few milliseconds.
 */
const WALK_BUDGET = 10_000;
const WALK_BUDGET_PER_ROW = 20;

const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Numbered parameters of one statement. */
class Params {
  constructor(readonly values: unknown[] = []) {}

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `q`: a name substring, an ICCID prefix (all digits) or an MSISDN prefix (`+` optional). */
function qAlternatives(q: string, p: Params, alias: string): string {
  const alternatives = [`${alias}.name ilike ${p.add(`%${escapeLike(q)}%`)}`];
  if (/^\d+$/.test(q)) alternatives.push(`${alias}.iccid like ${p.add(`${q}%`)}`);
  if (/^\+?\d+$/.test(q)) alternatives.push(`${alias}.msisdn like ${p.add(`${q.startsWith('+') ? q : `+${q}`}%`)}`);
  return `(${alternatives.join(' or ')})`;
}

/** The exact filter on a row of `sims` (the answer's definition; the hashed facets are only a way to it). */
function exactConditions(filter: SimListFilter, p: Params, alias: string): string[] {
  const where: string[] = [];
  if (filter.status?.length) where.push(`${alias}.status = any(${p.add(filter.status)}::text[])`);
  if (filter.tags && Object.keys(filter.tags).length) where.push(`${alias}.tags @> ${p.add(JSON.stringify(filter.tags))}::jsonb`);
  if (filter.groupId !== undefined)
    where.push(filter.groupId === null ? `${alias}.group_id is null` : `${alias}.group_id = ${p.add(filter.groupId)}`);
  if (filter.network !== undefined) where.push(`${alias}.network = ${p.add(filter.network)}`);
  if (filter.country !== undefined) where.push(`${alias}.country = ${p.add(filter.country)}`);
  if (filter.lastSeenBefore) where.push(`${alias}.last_seen_at < ${p.add(filter.lastSeenBefore)}`);
  if (filter.lastSeenAfter) where.push(`${alias}.last_seen_at >= ${p.add(filter.lastSeenAfter)}`);
  if (filter.endUserDevice !== undefined) where.push(filter.endUserDevice ? `${alias}.end_user_device` : `not ${alias}.end_user_device`);
  if (filter.q) where.push(qAlternatives(filter.q, p, alias));
  return where;
}

/** SQL conditions of a list filter on `sims`, appended to `params` (placeholders continue after those already there). */
export function filterConditions(filter: SimListFilter, params: unknown[]): string[] {
  return exactConditions(filter, new Params(params), 'sims');
}

/** The facet hashes every match carries (migration 0050), or null when the filter names none. */
function facetHashes(filter: SimListFilter, p: Params, account: string): string | null {
  const facet = (kind: string, value: string) => `sim_facet(${account}, '${kind}', ${p.add(value)})`;
  const facets: string[] = [];
  if (filter.groupId !== undefined) facets.push(facet('g', filter.groupId ?? ''));
  if (filter.country !== undefined) facets.push(facet('c', filter.country));
  if (filter.network !== undefined) facets.push(facet('n', filter.network));
  if (filter.endUserDevice !== undefined) facets.push(facet('e', String(filter.endUserDevice)));
  for (const [key, value] of Object.entries(filter.tags ?? {})) facets.push(facet('t', `${key}=${value}`));
  return facets.length ? `array[${facets.join(', ')}]::integer[]` : null;
}

/** What the walk can check on an index entry (facets, last seen, ICCID, name, MSISDN); `true` when nothing. */
function walkConditions(filter: SimListFilter, p: Params, alias: string, account: string): string {
  const where: string[] = [];
  const facets = facetHashes(filter, p, account);
  if (facets) where.push(`${alias}.facets @> ${facets}`);
  if (filter.lastSeenBefore) where.push(`${alias}.last_seen_at < ${p.add(filter.lastSeenBefore)}`);
  if (filter.lastSeenAfter) where.push(`${alias}.last_seen_at >= ${p.add(filter.lastSeenAfter)}`);
  if (filter.q) where.push(qAlternatives(filter.q, p, alias));
  return where.length ? where.join(' and ') : 'true';
}

/** A keyset section of one sort order: its conditions, its order, and where it resumes. */
interface Section {
  section: 'value' | 'null';
  column: string;
  type: string;
  nullable: boolean;
  descending: boolean;
}

function sectionConditions(s: Section, p: Params, alias: string, resume?: { value: string | null; iccid: string }): string[] {
  const comparator = s.descending ? '<' : '>';
  const where: string[] = [];
  if (s.section === 'null') {
    where.push(`${alias}.${s.column} is null`);
    if (resume) where.push(`${alias}.iccid ${comparator} ${p.add(resume.iccid)}`);
    return where;
  }
  if (s.nullable) where.push(`${alias}.${s.column} is not null`);
  if (resume && s.column === 'iccid') where.push(`${alias}.iccid ${comparator} ${p.add(resume.iccid)}`);
  else if (resume) where.push(`(${alias}.${s.column}, ${alias}.iccid) ${comparator} (${p.add(resume.value)}::${s.type}, ${p.add(resume.iccid)})`);
  return where;
}

/** `order by` of a section: the sort key (`value`), then the ICCID; the ICCID alone where the key is null or is the ICCID. */
function sectionOrder(s: Section, value: string, iccid: string): string {
  const direction = s.descending ? 'desc' : 'asc';
  return s.section === 'value' && s.column !== 'iccid' ? `${value} ${direction}, ${iccid} ${direction}` : `${iccid} ${direction}`;
}

/** Rows of a page in order, each with its keyset position; `columns` is what to select of `sims s`. */
export interface FleetPageRow<R> {
  row: R;
  position: SimListPosition;
}

/** The columns of a SIM as the export writes them: text, timestamps in ISO 8601 UTC. */
export interface SimExportRow {
  iccid: string;
  imsi: string;
  msisdn: string | null;
  eid: string | null;
  form_factor: string | null;
  name: string | null;
  status: string;
  blocks: string;
  group_id: string | null;
  tags: string;
  labels: string;
  end_user_device: string;
  country: string | null;
  network: string | null;
  mcc: string | null;
  mnc: string | null;
  rat: string | null;
  imei: string | null;
  last_seen_at: string | null;
  first_activated_at: string | null;
  created_at: string;
}

const iso = (column: string) => `to_char(s.${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${column}`;
const EXPORT_COLUMNS = [
  's.iccid',
  's.imsi',
  's.msisdn',
  's.eid',
  's.form_factor',
  's.name',
  's.status',
  'array_to_json(s.blocks)::text as blocks',
  's.group_id',
  's.tags::text as tags',
  'array_to_json(s.labels)::text as labels',
  's.end_user_device::text as end_user_device',
  's.country',
  's.network',
  's.mcc',
  's.mnc',
  's.rat',
  's.imei',
  iso('last_seen_at'),
  iso('first_activated_at'),
  iso('created_at'),
].join(', ');

@Injectable()
export class SimFleetRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * One page (`limit` rows) of an account's SIMs matching `filter`, in `sort` order, after `after`.
   * `walkBudget` overrides how far a page walks before gathering (tests drive both ways with it).
   */
  async list(
    accountId: string,
    filter: SimListFilter,
    sort: SimSort,
    limit: number,
    after?: SimListPosition,
    walkBudget?: number,
  ): Promise<SimListRow[]> {
    const rows = await this.page<Parameters<typeof toSim>[0]>(accountId, filter, sort, limit, after, 's.*', walkBudget);
    return rows.map(({ row, position }) => ({ sim: toSim(row), position }));
  }

  /** A page of the CSV export: the export's columns as text, in `sort` order, after `after`. */
  async exportPage(
    accountId: string,
    filter: SimListFilter,
    sort: SimSort,
    limit: number,
    after?: SimListPosition,
  ): Promise<FleetPageRow<SimExportRow>[]> {
    return this.page<SimExportRow>(accountId, filter, sort, limit, after, EXPORT_COLUMNS);
  }

  /** ICCIDs of an account's SIMs matching `filter`, in ICCID order, at most `max`. */
  async matchingIccids(accountId: string, filter: SimListFilter, max: number): Promise<string[]> {
    // No walking budget: every match is wanted, and walking in ICCID order is the cheapest way to most of them.
    const rows = await this.page<{ iccid: string }>(accountId, filter, { field: 'iccid', descending: false }, max, undefined, 's.iccid', max);
    return rows.map((r) => r.row.iccid);
  }

  /**
   * The page machinery (migration 0050). Within each keyset section of the sort order, the page is first
   * walked: the statuses asked for (all four by default) are ordered index ranges merged in sort order,
   * and each index entry is checked against the filter's hashed facets, last-seen range and `q`; only
   * the entries that pass are fetched, and checked exactly. When `budget` entries were walked without
   * filling the page, the filter is selective: the rest of the section is gathered from the matches
   * (GIN over the facets, trigrams or ICCID/MSISDN prefixes for `q`, last-seen ranges), then sorted.
   */
  private async page<R>(
    accountId: string,
    filter: SimListFilter,
    sort: SimSort,
    limit: number,
    after: SimListPosition | undefined,
    columns: string,
    budget = Math.max(WALK_BUDGET, limit * WALK_BUDGET_PER_ROW),
  ): Promise<FleetPageRow<R>[]> {
    const { column, type, nullable } = SORT_COLUMN[sort.field];
    const sections: Array<'value' | 'null'> = !nullable ? ['value'] : sort.descending ? ['null', 'value'] : ['value', 'null'];
    const rows: FleetPageRow<R>[] = [];
    const statuses = STATUSES.filter((status) => !filter.status?.length || filter.status.includes(status));
    for (const section of sections.slice(after ? sections.indexOf(after.section) : 0)) {
      const s: Section = { section, column, type, nullable, descending: sort.descending };
      // A SIM never seen has no last-seen time to match a range with.
      if (section === 'null' && column === 'last_seen_at' && (filter.lastSeenAfter || filter.lastSeenBefore)) continue;
      let resume = after && after.section === section ? { value: after.value, iccid: after.iccid } : undefined;
      // An ICCID or MSISDN prefix matches a handful of SIMs: straight to them.
      const gatherFirst = filter.q !== undefined && /^\+?\d{8,}$/.test(filter.q);
      if (!gatherFirst) {
        const walked = await this.walk<R>(accountId, filter, statuses, s, limit - rows.length, budget, columns, resume);
        rows.push(...walked.matches);
        if (rows.length >= limit || !walked.stoppedAt) {
          if (rows.length >= limit) break;
          continue;
        }
        resume = walked.stoppedAt;
      }
      rows.push(...(await this.gather<R>(accountId, filter, statuses, s, limit - rows.length, columns, resume)));
      if (rows.length >= limit) break;
    }
    return rows;
  }

  private async walk<R>(
    accountId: string,
    filter: SimListFilter,
    statuses: readonly string[],
    s: Section,
    limit: number,
    budget: number,
    columns: string,
    resume?: { value: string | null; iccid: string },
  ): Promise<{ matches: FleetPageRow<R>[]; stoppedAt?: { value: string | null; iccid: string } }> {
    const p = new Params();
    const account = p.add(accountId);
    const cap = p.add(budget);
    const ranges = statuses.map((status) => {
      const where = [`x.account_id = ${account}`, `x.status = ${p.add(status)}`, ...sectionConditions(s, p, 'x', resume)];
      // On the last-seen order, the range bounds the walk itself.
      if (s.column === 'last_seen_at' && s.section === 'value') {
        if (filter.lastSeenBefore) where.push(`x.last_seen_at < ${p.add(filter.lastSeenBefore)}`);
        if (filter.lastSeenAfter) where.push(`x.last_seen_at >= ${p.add(filter.lastSeenAfter)}`);
      }
      return `(select x.iccid, x.${s.column} as value, x.facets, x.last_seen_at, x.name, x.msisdn from sims x
                where ${where.join(' and ')} order by ${sectionOrder(s, `x.${s.column}`, 'x.iccid')} limit ${cap})`;
    });
    const hit = walkConditions(filter, p, 'u', account);
    const exact = exactConditions(filter, p, 's');
    const found = await this.db.query<R & { walked_iccid: string; sort_key: string | null; rn: number; matched: boolean }>(
      `select w.iccid as walked_iccid, w.sort_key, w.rn, s.iccid is not null as matched, ${columns}
         from (select * from (
                 select u.iccid, u.value, u.value::text as sort_key, (${hit}) as hit,
                        row_number() over (order by ${sectionOrder(s, 'u.value', 'u.iccid')}) as rn
                   from (select * from (${ranges.join(' union all ')}) r order by ${sectionOrder(s, 'r.value', 'r.iccid')} limit ${cap}) u
               ) v where v.hit or v.rn = ${cap}) w
         left join sims s on w.hit and s.iccid = w.iccid${exact.length ? ` and ${exact.join(' and ')}` : ''}
        where s.iccid is not null or w.rn = ${cap}
        order by ${sectionOrder(s, 'w.value', 'w.iccid')}
        limit ${p.add(limit)}`,
      p.values,
    );
    const matches: FleetPageRow<R>[] = [];
    let stoppedAt: { value: string | null; iccid: string } | undefined;
    for (const { walked_iccid, sort_key, rn, matched, ...row } of found) {
      const position: SimListPosition = { section: s.section, value: s.section === 'value' ? sort_key : null, iccid: walked_iccid };
      if (matched) matches.push({ row: row as unknown as R, position });
      if (Number(rn) === budget) stoppedAt = { value: position.value, iccid: position.iccid };
    }
    return { matches, stoppedAt };
  }

  private async gather<R>(
    accountId: string,
    filter: SimListFilter,
    statuses: readonly string[],
    s: Section,
    limit: number,
    columns: string,
    resume?: { value: string | null; iccid: string },
  ): Promise<FleetPageRow<R>[]> {
    const p = new Params();
    const account = p.add(accountId);
    const where = [`s.account_id = ${account}`, ...sectionConditions(s, p, 's', resume), ...exactConditions(filter, p, 's')];
    if (statuses.length < STATUSES.length) where.push(`s.status = any(${p.add(statuses)}::text[])`);
    // The same facets as a GIN search (statuses overlapping, the rest all present).
    const facets = facetHashes(filter, p, account);
    if (facets) where.push(`s.facets @> ${facets}`);
    if (statuses.length < STATUSES.length)
      where.push(`s.facets && array[${statuses.map((status) => `sim_facet(${account}, 's', ${p.add(status)})`).join(', ')}]::integer[]`);
    // `offset 0` keeps the matches a set of their own: the planner finds them by the filters, never by walking an order.
    const found = await this.db.query<R & { position_iccid: string; sort_key: string | null }>(
      `select * from (select s.iccid as position_iccid, s.${s.column} as value, s.${s.column}::text as sort_key, ${columns}
                        from sims s where ${where.join(' and ')} offset 0) m
        order by ${sectionOrder(s, 'm.value', 'm.position_iccid')}
        limit ${p.add(limit)}`,
      p.values,
    );
    return found.map(({ position_iccid, sort_key, ...row }) => {
      delete (row as { value?: unknown }).value;
      return {
        row: row as unknown as R,
        position: { section: s.section, value: s.section === 'value' ? sort_key : null, iccid: position_iccid },
      };
    });
  }

  /** Counts of an account's SIMs by status, group, country and network: the sum of the maintained counters (migration 0051). */
  async summary(accountId: string): Promise<FleetSummary> {
    const rows = await this.db.query<{ dimension: string; key: string | null; n: number }>(
      `select dimension, key, sum(n)::bigint as n from sim_counts where account_id = $1 group by dimension, key having sum(n) <> 0`,
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
      byStatus: SIM_STATUSES.map((status) => ({ status, count: byStatus.get(status) ?? 0 })),
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

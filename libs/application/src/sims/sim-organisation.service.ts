import { Inject, Injectable } from '@nestjs/common';
import {
  Clock,
  DomainError,
  type FieldProblem,
  domainEvent,
  decodeJsonCursor,
  encodeCursor,
  type Page,
  type Sim,
  countriesProblems,
  distinct,
  imeisProblems,
  labelsProblems,
  parseSort,
  resolvePolicy,
  SIM_SORTS,
  simNameProblem,
  tagsProblems,
  type EffectivePolicy,
  type SimListFilter,
} from '@simfleet/domain';
import {
  Database,
  type SqlExecutor,
  EventRepository,
  GroupRepository,
  SimFleetRepository,
  type FleetSummary,
  type SimListPosition,
  type SimOrganisationChanges,
  SimRepository,
  UsageRollupsRepository,
} from '@simfleet/persistence';
import { simExportHeader, simExportLine } from './sim-export.js';

/** What PATCH /v1/sims/{iccid} may change; an absent field is left as it is. */
export interface SimOrganisationPatch {
  name?: string | null;
  /** Replaces the whole tag set (send every tag you want to keep); `{}` clears it. */
  tags?: Record<string, string>;
  groupId?: string | null;
  labels?: string[];
  endUserDevice?: boolean;
  authorizedImeis?: string[];
  dataLimitBytes?: number | null;
  allowedCountries?: string[] | null;
}

export interface SimWithPolicy {
  sim: Sim;
  policy: EffectivePolicy;
}

/** SIMs per page of an export: one query each, a few hundred kilobytes of CSV. */
const EXPORT_PAGE = 2_000;

const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown })?.code === '23505';

/**
 * Naming, tagging and grouping of SIMs, the fleet overview and the effective policy. Lifecycle actions
 * stay in SimsService.
 */
@Injectable()
export class SimOrganisationService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(SimFleetRepository) private readonly fleet: SimFleetRepository,
    @Inject(GroupRepository) private readonly groups: GroupRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(UsageRollupsRepository) private readonly rollups: UsageRollupsRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** A SIM (by ICCID or name) with the policy in force and where each setting comes from. */
  async getWithPolicy(accountId: string, ref: string): Promise<SimWithPolicy> {
    const sim = await this.sims.findByRef(accountId, ref);
    if (!sim) throw DomainError.notFound('SIM', ref);
    return { sim, policy: await this.policyOf(sim) };
  }

  /**
   * The policy in force for a SIM: its own override of each setting, else its group's, else none.
   * The alerts engine reads the monthly data limit from here.
   */
  async effectivePolicy(accountId: string, iccid: string): Promise<EffectivePolicy> {
    return (await this.getWithPolicy(accountId, iccid)).policy;
  }

  private async policyOf(sim: Sim, tx: SqlExecutor = this.db): Promise<EffectivePolicy> {
    const overrides = await this.fleet.overrides(sim.iccid, tx);
    const group = sim.groupId && sim.accountId ? await this.groups.find(sim.accountId, sim.groupId, tx) : null;
    return resolvePolicy(overrides, group);
  }

  async update(accountId: string, ref: string, patch: SimOrganisationPatch, actor: string): Promise<SimWithPolicy> {
    const problems = this.patchProblems(patch);
    if (problems.length)
      throw DomainError.validation(`The SIM update is not valid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
    const now = this.clock.now();
    try {
      return await this.db.transaction(async (tx) => {
        // A group change moves the SIM's usage between groups in the rollups: the lock comes first, before
        // the SIM's row (ingestion takes it, shared, before it locks SIM rows).
        if (patch.groupId !== undefined) await this.rollups.lockForGroupChange(tx, accountId);
        const current = await this.sims.findByRef(accountId, ref, tx, true);
        if (!current) throw DomainError.notFound('SIM', ref);
        const changes: SimOrganisationChanges = {};
        const changed: string[] = [];
        if (patch.name !== undefined && patch.name !== current.name) {
          if (patch.name !== null) {
            const holderIccid = await this.fleet.nameHolder(tx, accountId, patch.name, current.iccid);
            if (holderIccid)
              throw DomainError.conflict(`The name ${patch.name} is already the name of SIM ${holderIccid}`, {
                field: 'name',
                name: patch.name,
                heldBy: holderIccid,
              });
          }
          changes.name = patch.name;
          changed.push('name');
        }
        if (patch.tags !== undefined) {
          changes.tags = patch.tags;
          changed.push('tags');
        }
        if (patch.groupId !== undefined && patch.groupId !== current.groupId) {
          if (patch.groupId !== null && !(await this.groups.find(accountId, patch.groupId, tx))) {
            throw DomainError.validation(`Group ${patch.groupId} is not a group of this account`, [
              { field: 'groupId', message: `no group ${patch.groupId} in this account` },
            ]);
          }
          changes.groupId = patch.groupId;
          changed.push('groupId');
        }
        if (patch.labels !== undefined) {
          changes.labels = distinct(patch.labels);
          changed.push('labels');
        }
        if (patch.authorizedImeis !== undefined) {
          changes.authorizedImeis = distinct(patch.authorizedImeis);
          changed.push('authorizedImeis');
        }
        if (patch.dataLimitBytes !== undefined) {
          changes.dataLimitBytes = patch.dataLimitBytes;
          changed.push('dataLimitBytes');
        }
        if (patch.allowedCountries !== undefined) {
          changes.allowedCountries = patch.allowedCountries === null ? null : distinct(patch.allowedCountries);
          changed.push('allowedCountries');
        }
        const declaring = patch.endUserDevice !== undefined && patch.endUserDevice !== current.endUserDevice.declared;
        if (declaring) {
          // Who declared it and when is kept (and shown with the SIM); withdrawing is recorded the same way.
          changes.endUserDevice = { declared: patch.endUserDevice as boolean, declaredBy: actor, declaredAt: now };
          changed.push('endUserDevice');
          await this.sims.appendHistory(tx, {
            iccid: current.iccid,
            accountId,
            from: current.status,
            to: current.status,
            action: patch.endUserDevice ? 'end_user_device.declared' : 'end_user_device.withdrawn',
            actor,
            reason: null,
            blocks: current.blocks,
            at: now,
          });
        }
        if (!changed.length) return { sim: current, policy: await this.policyOf(current, tx) };
        const sim = await this.fleet.update(tx, current.iccid, changes, now);
        if ('groupId' in changes) await this.rollups.moveSimGroup(tx, accountId, sim.iccid, current.groupId, sim.groupId);
        await this.events.append(tx, [domainEvent('sim.updated', accountId, sim.iccid, { iccid: sim.iccid, changed, actor }, now)]);
        return { sim, policy: await this.policyOf(sim, tx) };
      });
    } catch (error) {
      // Two renames racing for one name: the unique index decides, and the loser gets the same 409.
      if (isUniqueViolation(error) && patch.name) {
        const holder = await this.sims.findByRef(accountId, patch.name);
        throw DomainError.conflict(`The name ${patch.name} is already the name of SIM ${holder?.iccid ?? 'another SIM'}`, {
          field: 'name',
          name: patch.name,
          heldBy: holder?.iccid ?? null,
        });
      }
      throw error;
    }
  }

  private patchProblems(patch: SimOrganisationPatch): FieldProblem[] {
    const problems: FieldProblem[] = [];
    if (typeof patch.name === 'string') {
      const problem = simNameProblem(patch.name);
      if (problem) problems.push({ field: 'name', message: problem });
    }
    if (patch.tags) problems.push(...tagsProblems(patch.tags));
    if (patch.labels) problems.push(...labelsProblems(patch.labels));
    if (patch.authorizedImeis) problems.push(...imeisProblems(patch.authorizedImeis));
    if (patch.allowedCountries) problems.push(...countriesProblems(patch.allowedCountries));
    if (patch.dataLimitBytes != null && (!Number.isSafeInteger(patch.dataLimitBytes) || patch.dataLimitBytes < 0)) {
      problems.push({ field: 'dataLimitBytes', message: 'a data limit is a whole number of bytes, 0 or more' });
    }
    return problems;
  }

  /** A page of the account's SIMs matching the filter, in the sort order; the cursor carries the sort. */
  async list(accountId: string, filter: SimListFilter, sort: string, limit: number, cursor?: string): Promise<Page<Sim>> {
    if (!(SIM_SORTS as string[]).includes(sort))
      throw DomainError.validation(`sort must be one of ${SIM_SORTS.join(', ')}`, [{ field: 'sort', message: `one of ${SIM_SORTS.join(', ')}` }]);
    await this.assertGroupFilter(accountId, filter);
    const after = cursor ? decodeListCursor(cursor, sort) : undefined;
    const rows = await this.fleet.list(accountId, filter, parseSort(sort), limit + 1, after);
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data: data.map((r) => r.sim),
      nextCursor: rows.length > limit && last ? encodeCursor(JSON.stringify({ s: sort, ...last.position })) : null,
    };
  }

  async summary(accountId: string): Promise<FleetSummary> {
    return this.fleet.summary(accountId);
  }

  /**
   * The SIMs a list would show (same filters and sort), as CSV: a header line, then one line per SIM,
   * produced page by page as the consumer reads (constant memory, whatever the fleet size). The filter is
   * checked before the first line; keyset pages keep each SIM exactly once as long as its sort key does
   * not change during the export (the ICCID order, the default, never does).
   */
  async exportCsv(accountId: string, filter: SimListFilter, sort: string): Promise<{ filename: string; chunks: AsyncGenerator<string> }> {
    if (!(SIM_SORTS as string[]).includes(sort))
      throw DomainError.validation(`sort must be one of ${SIM_SORTS.join(', ')}`, [{ field: 'sort', message: `one of ${SIM_SORTS.join(', ')}` }]);
    await this.assertGroupFilter(accountId, filter);
    const groupNames = await this.groups.names(accountId);
    const order = parseSort(sort);
    const fleet = this.fleet;
    const filename = `sims-${this.clock.now().toISOString().slice(0, 10)}.csv`;
    const chunks = (async function* pages() {
      // The header travels with the first page: whoever reads the first chunk has seen the first query answer.
      let header = simExportHeader();
      let after: SimListPosition | undefined;
      for (;;) {
        const rows = await fleet.exportPage(accountId, filter, order, EXPORT_PAGE, after);
        yield header + rows.map(({ row }) => simExportLine(row, row.group_id ? (groupNames.get(row.group_id) ?? null) : null)).join('');
        header = '';
        if (rows.length < EXPORT_PAGE) return;
        after = rows[rows.length - 1].position;
      }
    })();
    return { filename, chunks };
  }

  /** A filter naming a group must name one of the account's groups (422 otherwise, as for any bad filter). */
  async assertGroupFilter(accountId: string, filter: SimListFilter, field = 'groupId'): Promise<void> {
    if (filter.groupId && !(await this.groups.find(accountId, filter.groupId))) {
      throw DomainError.validation(`The filter is not valid: ${field}: no group ${filter.groupId} in this account`, [
        { field, message: `no group ${filter.groupId} in this account` },
      ]);
    }
  }
}

function decodeListCursor(cursor: string, sort: string): SimListPosition {
  const invalid = (message: string) => DomainError.validation(`cursor: ${message}`, [{ field: 'cursor', message }]);
  const parsed: { s?: unknown; section?: unknown; value?: unknown; iccid?: unknown } = decodeJsonCursor(cursor);
  if (parsed.s !== sort) throw invalid('this cursor belongs to another sort order: keep the same sort (and filters) while paging');
  if (
    (parsed.section !== 'value' && parsed.section !== 'null') ||
    typeof parsed.iccid !== 'string' ||
    (parsed.value !== null && typeof parsed.value !== 'string')
  ) {
    throw invalid('not a cursor this API returned');
  }
  return { section: parsed.section, value: parsed.value, iccid: parsed.iccid };
}

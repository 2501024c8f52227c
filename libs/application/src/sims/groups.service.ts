import { Inject, Injectable } from '@nestjs/common';
import {
  Clock,
  DomainError,
  type FieldProblem,
  domainEvent,
  newId,
  decodeCursor,
  toPage,
  type Page,
  countriesProblems,
  distinct,
} from '@simfleet/domain';
import { Database, EventRepository, GroupRepository, type GroupChanges, type SimGroup } from '@simfleet/persistence';

export interface GroupInput {
  name: string;
  description?: string | null;
  monthlyDataLimitBytes?: number | null;
  allowedCountries?: string[] | null;
}

const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown })?.code === '23505';

/** Groups of SIMs and the policy their SIMs inherit. */
@Injectable()
export class GroupsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(GroupRepository) private readonly groups: GroupRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async create(accountId: string, input: GroupInput, actor: string): Promise<SimGroup> {
    this.assertValid(input);
    const now = this.clock.now();
    return this.uniqueName(accountId, input.name, () =>
      this.db.transaction(async (tx) => {
        if (await this.groups.findByName(tx, accountId, input.name)) throw this.nameTaken(input.name);
        const group = await this.groups.insert(tx, {
          id: newId('grp'),
          accountId,
          name: input.name,
          description: input.description ?? null,
          monthlyDataLimitBytes: input.monthlyDataLimitBytes ?? null,
          allowedCountries: input.allowedCountries ? distinct(input.allowedCountries) : null,
          createdAt: now,
          updatedAt: now,
        });
        await this.events.append(tx, [domainEvent('group.created', accountId, group.id, { groupId: group.id, name: group.name, actor }, now)]);
        return group;
      }),
    );
  }

  async get(accountId: string, id: string): Promise<SimGroup> {
    const group = await this.groups.find(accountId, id);
    if (!group) throw DomainError.notFound('Group', id);
    return group;
  }

  async list(accountId: string, limit: number, cursor?: string): Promise<Page<SimGroup>> {
    const rows = await this.groups.list(accountId, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (g) => g.id);
  }

  async update(accountId: string, id: string, changes: Partial<GroupInput>, actor: string): Promise<SimGroup> {
    this.assertValid(changes);
    const now = this.clock.now();
    return this.uniqueName(accountId, changes.name ?? '', () =>
      this.db.transaction(async (tx) => {
        const current = await this.groups.find(accountId, id, tx, true);
        if (!current) throw DomainError.notFound('Group', id);
        if (changes.name !== undefined && changes.name !== current.name) {
          const holder = await this.groups.findByName(tx, accountId, changes.name);
          if (holder) throw this.nameTaken(changes.name, holder.id);
        }
        const stored: GroupChanges = { ...changes };
        if (changes.allowedCountries) stored.allowedCountries = distinct(changes.allowedCountries);
        const group = await this.groups.update(tx, accountId, id, stored, now);
        await this.events.append(tx, [domainEvent('group.updated', accountId, id, { groupId: id, changed: Object.keys(changes), actor }, now)]);
        return group;
      }),
    );
  }

  /** Refuses (409) while SIMs are in the group: detaching them silently would change their policy. */
  async delete(accountId: string, id: string, actor: string): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const group = await this.groups.find(accountId, id, tx, true);
      if (!group) throw DomainError.notFound('Group', id);
      const simCount = await this.groups.simCount(tx, accountId, id);
      if (simCount > 0) {
        throw DomainError.conflict(
          `Group ${id} still holds ${simCount} SIM(s): move them out first (PATCH /v1/sims/{iccid} with groupId, or set groupId to null)`,
          {
            groupId: id,
            simCount,
          },
        );
      }
      await this.groups.delete(tx, accountId, id);
      await this.events.append(tx, [domainEvent('group.deleted', accountId, id, { groupId: id, name: group.name, actor }, now)]);
    });
  }

  private assertValid(input: Partial<GroupInput>): void {
    const problems: FieldProblem[] = input.allowedCountries ? countriesProblems(input.allowedCountries) : [];
    if (problems.length)
      throw DomainError.validation(`The group is not valid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
  }

  private nameTaken(name: string, holder?: string): DomainError {
    return DomainError.conflict(`A group named ${name} already exists${holder ? ` (${holder})` : ''}`, {
      field: 'name',
      name,
      ...(holder ? { heldBy: holder } : {}),
    });
  }

  /** Two creations racing for one name: the unique index decides and the loser gets the same 409. */
  private async uniqueName<T>(accountId: string, name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const holder = await this.groups.findByName(this.db, accountId, name);
      throw this.nameTaken(name, holder?.id);
    }
  }
}

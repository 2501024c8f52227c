import { Inject, Injectable } from '@nestjs/common';
import { Database, type SqlExecutor } from '../database.js';

export interface SimGroup {
  id: string;
  accountId: string;
  name: string;
  description: string | null;
  monthlyDataLimitBytes: number | null;
  allowedCountries: string[] | null;
  createdAt: Date;
  updatedAt: Date;
}

interface GroupRow {
  id: string;
  account_id: string;
  name: string;
  description: string | null;
  monthly_data_limit_bytes: number | null;
  allowed_countries: string[] | null;
  created_at: Date;
  updated_at: Date;
}

const toGroup = (r: GroupRow): SimGroup => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  description: r.description,
  monthlyDataLimitBytes: r.monthly_data_limit_bytes,
  allowedCountries: r.allowed_countries,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export type GroupChanges = Partial<Pick<SimGroup, 'name' | 'description' | 'monthlyDataLimitBytes' | 'allowedCountries'>>;

const COLUMNS: Record<keyof GroupChanges, string> = {
  name: 'name',
  description: 'description',
  monthlyDataLimitBytes: 'monthly_data_limit_bytes',
  allowedCountries: 'allowed_countries',
};

@Injectable()
export class GroupRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(tx: SqlExecutor, group: SimGroup): Promise<SimGroup> {
    const [row] = await tx.query<GroupRow>(
      `insert into sim_groups (id, account_id, name, description, monthly_data_limit_bytes, allowed_countries, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $7) returning *`,
      [group.id, group.accountId, group.name, group.description, group.monthlyDataLimitBytes, group.allowedCountries, group.createdAt],
    );
    return toGroup(row);
  }

  async find(accountId: string, id: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<SimGroup | null> {
    const [row] = await tx.query<GroupRow>(`select * from sim_groups where account_id = $1 and id = $2${forUpdate ? ' for update' : ''}`, [
      accountId,
      id,
    ]);
    return row ? toGroup(row) : null;
  }

  async findByName(tx: SqlExecutor, accountId: string, name: string): Promise<SimGroup | null> {
    const [row] = await tx.query<GroupRow>('select * from sim_groups where account_id = $1 and name = $2', [accountId, name]);
    return row ? toGroup(row) : null;
  }

  /** Every group name of the account, by id (an export names each SIM's group). */
  async names(accountId: string): Promise<Map<string, string>> {
    const rows = await this.db.query<{ id: string; name: string }>('select id, name from sim_groups where account_id = $1', [accountId]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  async list(accountId: string, limit: number, after?: string): Promise<SimGroup[]> {
    const rows = await this.db.query<GroupRow>(
      'select * from sim_groups where account_id = $1 and ($2::text is null or id > $2) order by id limit $3',
      [accountId, after ?? null, limit],
    );
    return rows.map(toGroup);
  }

  async update(tx: SqlExecutor, accountId: string, id: string, changes: GroupChanges, at: Date): Promise<SimGroup> {
    const sets: string[] = [];
    const params: unknown[] = [accountId, id, at];
    for (const [key, column] of Object.entries(COLUMNS) as Array<[keyof GroupChanges, string]>) {
      if (!(key in changes)) continue;
      params.push(changes[key] ?? null);
      sets.push(`${column} = $${params.length}`);
    }
    const [row] = await tx.query<GroupRow>(
      `update sim_groups set ${[...sets, 'updated_at = $3'].join(', ')} where account_id = $1 and id = $2 returning *`,
      params,
    );
    return toGroup(row);
  }

  async simCount(tx: SqlExecutor, accountId: string, id: string): Promise<number> {
    const [row] = await tx.query<{ n: number }>('select count(*)::bigint as n from sims where account_id = $1 and group_id = $2', [accountId, id]);
    return row.n;
  }

  async delete(tx: SqlExecutor, accountId: string, id: string): Promise<void> {
    await tx.query('delete from sim_groups where account_id = $1 and id = $2', [accountId, id]);
  }
}

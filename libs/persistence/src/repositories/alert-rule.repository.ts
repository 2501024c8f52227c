import { Inject, Injectable } from '@nestjs/common';
import type { AlertRule, AlertRuleDraft, AlertRuleType } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

interface AlertRuleRow {
  id: string;
  account_id: string;
  name: string | null;
  type: AlertRuleType;
  scope: AlertRule['scope'];
  severity: AlertRule['severity'];
  action: AlertRule['action'];
  enabled: boolean;
  params: AlertRule['params'];
  created_at: Date;
  updated_at: Date;
}

const toRule = (r: AlertRuleRow): AlertRule => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  type: r.type,
  scope: r.scope,
  severity: r.severity,
  action: r.action,
  enabled: r.enabled,
  params: r.params,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

@Injectable()
export class AlertRuleRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(tx: SqlExecutor, id: string, accountId: string, draft: AlertRuleDraft, at: Date): Promise<AlertRule> {
    const [row] = await tx.query<AlertRuleRow>(
      `insert into alert_rules (id, account_id, name, type, scope, severity, action, enabled, params, created_at, updated_at)
       values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::jsonb, $10, $10) returning *`,
      [
        id,
        accountId,
        draft.name,
        draft.type,
        JSON.stringify(draft.scope),
        draft.severity,
        draft.action,
        draft.enabled,
        JSON.stringify(draft.params),
        at,
      ],
    );
    return toRule(row);
  }

  async update(tx: SqlExecutor, accountId: string, id: string, draft: AlertRuleDraft, at: Date): Promise<AlertRule> {
    const [row] = await tx.query<AlertRuleRow>(
      `update alert_rules set name = $3, scope = $4::jsonb, severity = $5, action = $6, enabled = $7, params = $8::jsonb, updated_at = $9
        where account_id = $1 and id = $2 returning *`,
      [accountId, id, draft.name, JSON.stringify(draft.scope), draft.severity, draft.action, draft.enabled, JSON.stringify(draft.params), at],
    );
    return toRule(row);
  }

  async delete(tx: SqlExecutor, accountId: string, id: string): Promise<void> {
    await tx.query('delete from alert_rules where account_id = $1 and id = $2', [accountId, id]);
  }

  async get(accountId: string, id: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<AlertRule | null> {
    const [row] = await tx.query<AlertRuleRow>(`select * from alert_rules where account_id = $1 and id = $2${forUpdate ? ' for update' : ''}`, [
      accountId,
      id,
    ]);
    return row ? toRule(row) : null;
  }

  async list(accountId: string, filter: { type?: AlertRuleType; after?: string; limit: number }): Promise<AlertRule[]> {
    const rows = await this.db.query<AlertRuleRow>(
      `select * from alert_rules where account_id = $1 and ($2::text is null or type = $2) and ($3::text is null or id > $3) order by id limit $4`,
      [accountId, filter.type ?? null, filter.after ?? null, filter.limit],
    );
    return rows.map(toRule);
  }

  /** Every enabled rule of an account: the evaluator's (cached) working set. */
  async enabledOfAccount(accountId: string, tx: SqlExecutor = this.db): Promise<AlertRule[]> {
    const rows = await tx.query<AlertRuleRow>('select * from alert_rules where account_id = $1 and enabled order by id', [accountId]);
    return rows.map(toRule);
  }

  /** Enabled rules of the given types across accounts (the scheduled scan). */
  async enabledOfTypes(types: readonly AlertRuleType[]): Promise<AlertRule[]> {
    const rows = await this.db.query<AlertRuleRow>('select * from alert_rules where enabled and type = any($1::text[]) order by account_id, id', [
      types,
    ]);
    return rows.map(toRule);
  }
}

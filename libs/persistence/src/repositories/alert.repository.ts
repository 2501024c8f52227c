import { Inject, Injectable } from '@nestjs/common';
import type { Alert, AlertStatus, AlertRuleType, AlertSeverity, SimBlock } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

interface AlertRow {
  id: string;
  account_id: string;
  rule_id: string;
  type: AlertRuleType;
  iccid: string;
  severity: AlertSeverity;
  status: AlertStatus;
  count: number;
  level: number;
  details: Record<string, unknown>;
  block: SimBlock | null;
  first_triggered_at: Date;
  last_triggered_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: string | null;
}

const toAlert = (r: AlertRow): Alert => ({
  id: r.id,
  accountId: r.account_id,
  ruleId: r.rule_id,
  type: r.type,
  iccid: r.iccid,
  severity: r.severity,
  status: r.status,
  count: Number(r.count),
  level: Number(r.level),
  details: r.details,
  block: r.block,
  firstTriggeredAt: r.first_triggered_at,
  lastTriggeredAt: r.last_triggered_at,
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
  resolution: r.resolution,
});

export interface NewAlert {
  id: string;
  accountId: string;
  ruleId: string;
  type: AlertRuleType;
  iccid: string;
  severity: AlertSeverity;
  level: number;
  details: Record<string, unknown>;
  block: SimBlock | null;
  at: Date;
}

export interface AlertFilter {
  accountId: string;
  status?: AlertStatus[];
  severity?: AlertSeverity[];
  iccid?: string;
  ruleId?: string;
  type?: AlertRuleType;
  /** Newest first: the id of the last alert already seen. */
  before?: string;
  limit: number;
}

@Injectable()
export class AlertRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Opens an alert, unless one is already open for the rule and SIM (then null: update that one). */
  async insertOpen(tx: SqlExecutor, a: NewAlert): Promise<Alert | null> {
    const [row] = await tx.query<AlertRow>(
      `insert into alerts (id, account_id, rule_id, type, iccid, severity, status, count, level, details, block, first_triggered_at, last_triggered_at)
       values ($1, $2, $3, $4, $5, $6, 'active', 1, $7, $8::jsonb, $9, $10, $10)
       on conflict (rule_id, iccid) where status <> 'resolved' do nothing returning *`,
      [a.id, a.accountId, a.ruleId, a.type, a.iccid, a.severity, a.level, JSON.stringify(a.details), a.block, a.at],
    );
    return row ? toAlert(row) : null;
  }

  async findOpen(tx: SqlExecutor, ruleId: string, iccid: string): Promise<Alert | null> {
    const [row] = await tx.query<AlertRow>(`select * from alerts where rule_id = $1 and iccid = $2 and status <> 'resolved' for update`, [
      ruleId,
      iccid,
    ]);
    return row ? toAlert(row) : null;
  }

  /** A repeated trigger: one more occurrence, the latest facts, and a higher stage/severity if escalated. */
  async retrigger(
    tx: SqlExecutor,
    id: string,
    change: { severity: AlertSeverity; level: number; details: Record<string, unknown>; block: SimBlock | null; at: Date },
  ): Promise<Alert> {
    const [row] = await tx.query<AlertRow>(
      `update alerts set count = count + 1, last_triggered_at = greatest(last_triggered_at, $2), details = $3::jsonb,
              severity = $4, level = $5, block = coalesce(block, $6)
        where id = $1 returning *`,
      [id, change.at, JSON.stringify(change.details), change.severity, change.level, change.block],
    );
    return toAlert(row);
  }

  async acknowledge(tx: SqlExecutor, id: string, by: string, at: Date): Promise<Alert> {
    const [row] = await tx.query<AlertRow>(
      `update alerts set status = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3 where id = $1 returning *`,
      [id, at, by],
    );
    return toAlert(row);
  }

  async resolve(tx: SqlExecutor, id: string, by: string, resolution: string, at: Date): Promise<Alert> {
    const [row] = await tx.query<AlertRow>(
      `update alerts set status = 'resolved', resolved_at = $2, resolved_by = $3, resolution = $4 where id = $1 returning *`,
      [id, at, by, resolution],
    );
    return toAlert(row);
  }

  /** Whether another open alert of the SIM still holds a block (then resolving this one keeps the block). */
  async blockHeldElsewhere(tx: SqlExecutor, iccid: string, block: SimBlock, exceptId: string): Promise<boolean> {
    const rows = await tx.query(`select 1 from alerts where iccid = $1 and status <> 'resolved' and block = $2 and id <> $3 limit 1`, [
      iccid,
      block,
      exceptId,
    ]);
    return rows.length > 0;
  }

  async get(accountId: string, id: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<Alert | null> {
    const [row] = await tx.query<AlertRow>(`select * from alerts where account_id = $1 and id = $2${forUpdate ? ' for update' : ''}`, [
      accountId,
      id,
    ]);
    return row ? toAlert(row) : null;
  }

  async list(f: AlertFilter): Promise<Alert[]> {
    const rows = await this.db.query<AlertRow>(
      `select * from alerts where account_id = $1
          and ($2::text[] is null or status = any($2::text[]))
          and ($3::text[] is null or severity = any($3::text[]))
          and ($4::text is null or iccid = $4)
          and ($5::text is null or rule_id = $5)
          and ($6::text is null or type = $6)
          and ($7::text is null or id < $7)
        order by id desc limit $8`,
      [f.accountId, f.status ?? null, f.severity ?? null, f.iccid ?? null, f.ruleId ?? null, f.type ?? null, f.before ?? null, f.limit],
    );
    return rows.map(toAlert);
  }

  /** Open alerts of some rules (optionally of some SIMs), locked for resolution. */
  async openOfRules(tx: SqlExecutor, ruleIds: string[], iccids?: string[]): Promise<Alert[]> {
    if (!ruleIds.length) return [];
    const rows = await tx.query<AlertRow>(
      `select * from alerts where rule_id = any($1::text[]) and status <> 'resolved' and ($2::text[] is null or iccid = any($2::text[])) order by id for update`,
      [ruleIds, iccids ?? null],
    );
    return rows.map(toAlert);
  }

  /** Open alerts of given types (time-driven clearing), oldest first. */
  async openOfTypes(tx: SqlExecutor, types: readonly AlertRuleType[], limit: number, forUpdate = false): Promise<Alert[]> {
    const rows = await tx.query<AlertRow>(
      `select * from alerts where type = any($1::text[]) and status <> 'resolved' order by id limit $2${forUpdate ? ' for update' : ''}`,
      [types, limit],
    );
    return rows.map(toAlert);
  }
}

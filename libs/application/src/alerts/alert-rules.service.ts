import { Inject, Injectable } from '@nestjs/common';
import {
  parseRuleDraft,
  parseRulePatch,
  type AlertRule,
  type AlertRuleDraft,
  type AlertRuleType,
  Clock,
  DomainError,
  type FieldProblem,
  newId,
  decodeCursor,
  toPage,
  type Page,
} from '@simfleet/domain';
import { Database, type SqlExecutor, AlertRuleRepository, AlertRepository, GroupRepository, SimRepository } from '@simfleet/persistence';
import { AlertRuleCache } from './alert-rule-cache.js';
import { AlertScanner } from './alert-scanner.js';
import { AlertWriter } from './alert-writer.js';

/** /v1/alert-rules: rules are validated as a whole, and a change takes effect on the alerts it affects at once. */
@Injectable()
export class AlertRulesService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(AlertRuleRepository) private readonly rules: AlertRuleRepository,
    @Inject(AlertRepository) private readonly alerts: AlertRepository,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(GroupRepository) private readonly groups: GroupRepository,
    @Inject(AlertRuleCache) private readonly cache: AlertRuleCache,
    @Inject(AlertWriter) private readonly writer: AlertWriter,
    @Inject(AlertScanner) private readonly scanner: AlertScanner,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async create(accountId: string, body: unknown): Promise<AlertRule> {
    const parsed = parseRuleDraft(body);
    if (!parsed.ok) throw this.invalid(parsed.errors);
    const now = this.clock.now();
    const rule = await this.db.transaction(async (tx) => {
      await this.checkScope(tx, accountId, parsed.draft);
      return this.rules.insert(tx, newId('rule'), accountId, parsed.draft, now);
    });
    this.cache.invalidate(accountId);
    return rule;
  }

  async get(accountId: string, id: string): Promise<AlertRule> {
    const rule = await this.rules.get(accountId, id);
    if (!rule) throw DomainError.notFound('Alert rule', id);
    return rule;
  }

  async list(accountId: string, limit: number, cursor?: string, type?: AlertRuleType): Promise<Page<AlertRule>> {
    const rows = await this.rules.list(accountId, { type, after: cursor ? decodeCursor(cursor) : undefined, limit: limit + 1 });
    return toPage(rows, limit, (r) => r.id);
  }

  /**
   * Changes a rule. Its open alerts follow at once: a disabled rule or a SIM now out of scope resolves
   * them, a raised data limit resolves the limit alert and lifts the block it placed.
   */
  async update(accountId: string, id: string, body: unknown): Promise<AlertRule> {
    const now = this.clock.now();
    const rule = await this.db.transaction(async (tx) => {
      const current = await this.rules.get(accountId, id, tx, true);
      if (!current) throw DomainError.notFound('Alert rule', id);
      const parsed = parseRulePatch(current, body);
      if (!parsed.ok) throw this.invalid(parsed.errors);
      await this.checkScope(tx, accountId, parsed.draft);
      return this.rules.update(tx, accountId, id, parsed.draft, now);
    });
    this.cache.invalidate(accountId);
    if (rule.type === 'data_usage_limit') await this.scanner.reassessDataLimits(now, [rule.id]);
    else if (!rule.enabled) await this.resolveOpen(accountId, rule.id, 'rule_disabled', now);
    return rule;
  }

  /** Deletes a rule; its open alerts resolve (lifting their blocks), resolved ones stay as history. */
  async delete(accountId: string, id: string): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const rule = await this.rules.get(accountId, id, tx, true);
      if (!rule) throw DomainError.notFound('Alert rule', id);
      for (const alert of await this.alerts.openOfRules(tx, [id])) await this.writer.resolve(tx, alert, 'system', 'rule_deleted', now);
      await this.rules.delete(tx, accountId, id);
    });
    this.cache.invalidate(accountId);
  }

  private async resolveOpen(accountId: string, ruleId: string, resolution: string, now: Date): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const alert of await this.alerts.openOfRules(tx, [ruleId]))
        if (alert.accountId === accountId) await this.writer.resolve(tx, alert, 'system', resolution, now);
    });
  }

  /** A scope names a SIM or a group of this account (another tenant's is as unknown as a missing one). */
  private async checkScope(tx: SqlExecutor, accountId: string, draft: AlertRuleDraft): Promise<void> {
    const scope = draft.scope;
    if ('iccid' in scope && !(await this.sims.findByRef(accountId, scope.iccid, tx))) {
      throw this.invalid([{ field: 'scope/iccid', message: `no SIM ${scope.iccid} in this account` }]);
    }
    if ('groupId' in scope && !(await this.groups.find(accountId, scope.groupId, tx))) {
      throw this.invalid([{ field: 'scope/groupId', message: `no group ${scope.groupId} in this account` }]);
    }
  }

  private invalid(errors: FieldProblem[]): DomainError {
    return DomainError.validation(`The alert rule is not valid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors);
  }
}

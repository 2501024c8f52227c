import { Inject, Injectable, Logger } from '@nestjs/common';
import { encodeTime } from 'ulid';
import { ruleApplies, type AlertRule, type Alert, Clock } from '@simfleet/domain';
import { Database, AlertEvaluationRepository, AlertRuleRepository, AlertRepository } from '@simfleet/persistence';
import { AlertEvaluator } from './alert-evaluator.js';
import { AlertEffects, AlertWriter } from './alert-writer.js';

const HOUR_MS = 3_600_000;
/** Open alerts reassessed per scan and kind; the rest wait for the next scan. */
const REASSESS_BATCH = 1_000;

export interface ScanSummary {
  raised: number;
  resolved: number;
}

/**
 * The time-driven side of alerting, run by the scheduled `alerts.scan` job (once per cluster per
 * interval): `silent` and `connection_storm` rules, and the clearing of alerts whose condition went away
 * without a record (data-limit period rollover or raised limit, an IMEI added to the authorized list).
 */
@Injectable()
export class AlertScanner {
  private readonly logger = new Logger('AlertScanner');

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(AlertRuleRepository) private readonly rules: AlertRuleRepository,
    @Inject(AlertRepository) private readonly alerts: AlertRepository,
    @Inject(AlertEvaluationRepository) private readonly state: AlertEvaluationRepository,
    @Inject(AlertEvaluator) private readonly evaluator: AlertEvaluator,
    @Inject(AlertWriter) private readonly writer: AlertWriter,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async scan(): Promise<ScanSummary> {
    const now = this.clock.now();
    const summary: ScanSummary = { raised: 0, resolved: 0 };
    const effects = new AlertEffects();
    summary.resolved += await this.reassessDataLimits(now);
    summary.resolved += await this.clearAuthorizedImeis(now);
    for (const rule of await this.rules.enabledOfTypes(['silent', 'connection_storm'])) {
      summary.raised +=
        rule.type === 'silent'
          ? await this.silent(rule as AlertRule<'silent'>, now, effects)
          : await this.storm(rule as AlertRule<'connection_storm'>, now, effects);
    }
    await this.evaluator.afterCommit(effects);
    if (summary.raised || summary.resolved) this.logger.log(`alert scan: ${summary.raised} raised or updated, ${summary.resolved} resolved`);
    return summary;
  }

  /** Reassesses open data-limit alerts of some rules (or all): the period rolled over, or the limit changed. */
  async reassessDataLimits(now: Date, ruleIds?: string[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      const open = ruleIds
        ? await this.alerts.openOfRules(tx, ruleIds)
        : await this.alerts.openOfTypes(tx, ['data_usage_limit'], REASSESS_BATCH, true);
      const dataAlerts = open.filter((a) => a.type === 'data_usage_limit');
      if (!dataAlerts.length) return 0;
      const effects = new AlertEffects();
      let resolved = 0;
      for (const [accountId, alerts] of groupBy(dataAlerts, (a) => a.accountId)) {
        const facts = new Map((await this.state.accountSims(tx, accountId, [...new Set(alerts.map((a) => a.iccid))])).map((f) => [f.iccid, f]));
        const rules = new Map<string, AlertRule | null>();
        for (const alert of alerts) {
          if (!rules.has(alert.ruleId)) rules.set(alert.ruleId, await this.rules.get(accountId, alert.ruleId, tx));
          const rule = rules.get(alert.ruleId);
          const sim = facts.get(alert.iccid);
          if (!rule || !rule.enabled || !sim || !ruleApplies(rule, sim)) {
            await this.writer.resolve(tx, alert, 'system', !rule ? 'rule_deleted' : !rule.enabled ? 'rule_disabled' : 'out_of_scope', now);
            resolved += 1;
            continue;
          }
          const dataRule = rule as AlertRule<'data_usage_limit'>;
          const usage = await this.evaluator.periodUsage(tx, [{ iccid: sim.iccid, periods: [dataRule.params.period] }], now);
          const usageBytes = usage.get(`${dataRule.params.period}:${sim.iccid}`) ?? 0;
          if ((await this.evaluator.applyDataLimit(tx, dataRule, sim, usageBytes, now, effects, alert, true)).resolved) resolved += 1;
        }
      }
      return resolved;
    });
  }

  /** Open IMEI alerts whose SIM's current IMEI is now in its authorized list (the operator allowed it). */
  private async clearAuthorizedImeis(now: Date): Promise<number> {
    return this.db.transaction(async (tx) => {
      const open = await this.alerts.openOfTypes(tx, ['imei_change'], REASSESS_BATCH);
      let resolved = 0;
      for (const [accountId, alerts] of groupBy(open, (a) => a.accountId)) {
        const facts = new Map((await this.state.accountSims(tx, accountId, [...new Set(alerts.map((a) => a.iccid))])).map((f) => [f.iccid, f]));
        for (const alert of alerts) {
          const sim = facts.get(alert.iccid);
          const imei = typeof alert.details.imei === 'string' ? alert.details.imei : sim?.imei;
          if (sim && imei && sim.authorizedImeis.includes(imei)) {
            await this.writer.resolve(tx, alert, 'system', 'authorized_imei', now);
            resolved += 1;
          }
        }
      }
      return resolved;
    });
  }

  private async silent(rule: AlertRule<'silent'>, now: Date, effects: AlertEffects): Promise<number> {
    const quiet = await this.state.silentSims(rule.accountId, new Date(now.getTime() - rule.params.hours * HOUR_MS));
    if (!quiet.length) return 0;
    return this.db.transaction(async (tx) => {
      const facts = await this.state.accountSims(
        tx,
        rule.accountId,
        quiet.map((q) => q.iccid),
      );
      const inScope = new Set(facts.filter((f) => ruleApplies(rule, f)).map((f) => f.iccid));
      const open = new Set((await this.alerts.openOfRules(tx, [rule.id])).map((a) => a.iccid));
      let raised = 0;
      for (const q of quiet) {
        // Still silent is the same condition, not a new trigger: the open alert stays as it is.
        if (!inScope.has(q.iccid) || open.has(q.iccid)) continue;
        await this.writer.raise(
          tx,
          {
            rule,
            iccid: q.iccid,
            severity: rule.severity,
            level: 0,
            block: null,
            at: now,
            details: { hours: rule.params.hours, lastSeenAt: q.lastSeenAt?.toISOString() ?? null, silentSince: q.since.toISOString() },
          },
          effects,
        );
        raised += 1;
      }
      return raised;
    });
  }

  private async storm(rule: AlertRule<'connection_storm'>, now: Date, effects: AlertEffects): Promise<number> {
    const since = new Date(now.getTime() - HOUR_MS);
    const stormy = await this.state.connectsSince(
      rule.accountId,
      `${encodeTime(since.getTime(), 10)}${'0'.repeat(16)}`,
      since,
      rule.params.maxConnectsPerHour,
    );
    if (!stormy.length) return 0;
    return this.db.transaction(async (tx) => {
      const facts = await this.state.accountSims(
        tx,
        rule.accountId,
        stormy.map((s) => s.iccid),
      );
      const inScope = new Set(facts.filter((f) => ruleApplies(rule, f)).map((f) => f.iccid));
      const open = new Map((await this.alerts.openOfRules(tx, [rule.id])).map((a) => [a.iccid, a] as const));
      let raised = 0;
      for (const s of stormy) {
        const current: Alert | undefined = open.get(s.iccid);
        // The same storm seen again by the next scan is not a new trigger; more connects since are.
        if (!inScope.has(s.iccid) || (current && Number(current.details.connects) >= s.connects)) continue;
        await this.writer.raise(
          tx,
          {
            rule,
            iccid: s.iccid,
            severity: rule.severity,
            level: 0,
            block: null,
            at: now,
            details: { connects: s.connects, windowStart: since.toISOString(), maxConnectsPerHour: rule.params.maxConnectsPerHour },
          },
          effects,
        );
        raised += 1;
      }
      return raised;
    });
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

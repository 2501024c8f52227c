import type { AlertSeverity, DataUsageLimitParams } from './alert-rule.js';
import { periodWindow } from './periods.js';

export const DATA_LIMIT_STAGES = { none: 0, warning: 1, exceeded: 2 } as const;

export interface DataLimitAssessment {
  /** 0: below the thresholds, 1: at or above warnAtPercent, 2: at or above the limit. */
  level: 0 | 1 | 2;
  stage: 'below' | 'warning' | 'limit_exceeded';
  usageBytes: number;
  limitBytes: number;
  limitSource: 'rule' | 'sim' | 'group';
  percent: number;
  period: DataUsageLimitParams['period'];
  periodStart: string;
  periodEnd: string;
}

/** The limit a data-usage rule enforces on a SIM: its own `limitBytes`, else the SIM's effective monthly limit. */
export function effectiveLimit(
  params: DataUsageLimitParams,
  simMonthlyLimit: { bytes: number; source: 'sim' | 'group' } | null,
): { bytes: number; source: 'rule' | 'sim' | 'group' } | null {
  if (params.limitBytes !== undefined) return { bytes: params.limitBytes, source: 'rule' };
  return params.period === 'month' && simMonthlyLimit ? simMonthlyLimit : null;
}

export function assessDataLimit(
  params: DataUsageLimitParams,
  limit: { bytes: number; source: 'rule' | 'sim' | 'group' },
  usageBytes: number,
  at: Date,
): DataLimitAssessment {
  const window = periodWindow(params.period, at);
  // A zero limit (a group that allows no data) is exceeded by any use, and by none.
  const percent = limit.bytes === 0 ? 100 : Math.floor((usageBytes * 100) / limit.bytes);
  const level = usageBytes >= limit.bytes ? 2 : params.warnAtPercent !== undefined && usageBytes * 100 >= limit.bytes * params.warnAtPercent ? 1 : 0;
  return {
    level,
    stage: level === 2 ? 'limit_exceeded' : level === 1 ? 'warning' : 'below',
    usageBytes,
    limitBytes: limit.bytes,
    limitSource: limit.source,
    percent,
    period: params.period,
    periodStart: window.start.toISOString(),
    periodEnd: window.end.toISOString(),
  };
}

/** The warning stage never outranks `warning`; the limit stage carries the rule's severity. */
export const stageSeverity = (level: number, ruleSeverity: AlertSeverity): AlertSeverity =>
  level >= 2 || ruleSeverity === 'info' ? ruleSeverity : 'warning';

/**
 * What a data-limit assessment does to the rule's open alert for the SIM: resolve it when a new period
 * began or usage fell below the stage it was raised at (a raised limit), then raise (or update) an alert
 * when the usage is at a stage. A reassessment (scan, rule change) only resolves.
 */
export function dataLimitDecision(
  open: { level: number; periodStart: unknown } | null,
  assessment: Pick<DataLimitAssessment, 'level' | 'periodStart'>,
  reassessOnly: boolean,
): { resolve: 'period_rollover' | 'below_limit' | null; raise: boolean } {
  const resolve = !open
    ? null
    : open.periodStart !== assessment.periodStart
      ? 'period_rollover'
      : assessment.level < open.level
        ? 'below_limit'
        : null;
  return { resolve, raise: assessment.level > 0 && !reassessOnly };
}

import { DomainError, ErrorCode } from '../errors/domain-error.js';
import type { SimBlock } from '../sims/sim-lifecycle.js';
import type { AlertRuleType, AlertSeverity } from './alert-rule.js';

/** ThingsBoard's alarm lifecycle: active → acknowledged → resolved (or active → resolved). */
export const ALERT_STATUSES = ['active', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface Alert {
  id: string;
  accountId: string;
  ruleId: string;
  type: AlertRuleType;
  iccid: string;
  severity: AlertSeverity;
  status: AlertStatus;
  /** How many times the rule fired for this SIM while the alert was open. */
  count: number;
  /** Stage of a staged rule (data limit: 1 = warning threshold, 2 = limit); 0 otherwise. */
  level: number;
  /** The latest trigger's facts (usage, IMEI, speed, …). */
  details: Record<string, unknown>;
  /** The system block this alert placed on the SIM; lifted when the alert resolves. */
  block: SimBlock | null;
  firstTriggeredAt: Date;
  lastTriggeredAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  /** Why it resolved: `manual`, or the cleared condition (`period_rollover`, `authorized_imei`, …). */
  resolution: string | null;
}

export const AlertLifecycle = {
  /** Acknowledging an acknowledged alert is a no-op; a resolved alert is final. */
  canAcknowledge(alert: Alert): boolean {
    if (alert.status === 'resolved') throw AlertLifecycle.finalError(alert, 'acknowledge');
    return alert.status === 'active';
  },
  assertResolvable(alert: Alert): void {
    if (alert.status === 'resolved') throw AlertLifecycle.finalError(alert, 'resolve');
  },
  finalError(alert: Alert, action: string): DomainError {
    return new DomainError(ErrorCode.InvalidTransition, `alert ${alert.id} is already resolved: ${action} is not allowed`, {
      alertId: alert.id,
      currentStatus: alert.status,
      action,
    });
  },
};

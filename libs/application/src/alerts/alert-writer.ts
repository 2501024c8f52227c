import { Inject, Injectable } from '@nestjs/common';
import {
  ALERT_SEVERITIES,
  severityRank,
  type AlertRule,
  type AlertSeverity,
  type Alert,
  domainEvent,
  type EventType,
  newId,
  type SimBlock,
} from '@simfleet/domain';
import { type SqlExecutor, AlertRepository, EventRepository } from '@simfleet/persistence';
import { SimBlocksService } from '../sims/sim-blocks.service.js';

/** A rule fired for a SIM. */
export interface Trigger {
  rule: AlertRule;
  iccid: string;
  severity: AlertSeverity;
  /** Stage of a staged rule (data limit: 1 warning, 2 limit), 0 otherwise; a higher stage escalates. */
  level: number;
  details: Record<string, unknown>;
  /** The system block to place (rule action `block` at its blocking stage). */
  block: SimBlock | null;
  at: Date;
}

/** What must happen once the transaction committed: devices to cut off. */
export class AlertEffects {
  readonly disconnect = new Set<string>();
  merge(other: AlertEffects): this {
    for (const iccid of other.disconnect) this.disconnect.add(iccid);
    return this;
  }
  get empty(): boolean {
    return this.disconnect.size === 0;
  }
}

/** The alert as events and the API show it. */
export const alertData = (alert: Alert): Record<string, unknown> => ({
  ...alert,
  firstTriggeredAt: alert.firstTriggeredAt.toISOString(),
  lastTriggeredAt: alert.lastTriggeredAt.toISOString(),
  acknowledgedAt: alert.acknowledgedAt?.toISOString() ?? null,
  resolvedAt: alert.resolvedAt?.toISOString() ?? null,
});

export const maxSeverity = (a: AlertSeverity, b: AlertSeverity): AlertSeverity => ALERT_SEVERITIES[Math.max(severityRank(a), severityRank(b))];

/**
 * The alert lifecycle inside a caller's transaction: one open alert per (rule, SIM) — a repeated trigger
 * updates it, an escalation (higher stage or severity) re-announces it — and resolution, which lifts the
 * block the alert placed unless another open alert still holds the same block.
 */
@Injectable()
export class AlertWriter {
  constructor(
    @Inject(AlertRepository) private readonly alerts: AlertRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(SimBlocksService) private readonly blocks: SimBlocksService,
  ) {}

  async raise(tx: SqlExecutor, t: Trigger, effects: AlertEffects): Promise<Alert> {
    const { rule, iccid } = t;
    let alert = await this.alerts.insertOpen(tx, {
      id: newId('alrt'),
      accountId: rule.accountId,
      ruleId: rule.id,
      type: rule.type,
      iccid,
      severity: t.severity,
      level: t.level,
      details: t.details,
      block: t.block,
      at: t.at,
    });
    let announce = alert !== null;
    if (!alert) {
      const open = await this.alerts.findOpen(tx, rule.id, iccid);
      // Resolved by a concurrent transaction between the two statements: the next trigger opens a new one.
      if (!open) return this.raise(tx, t, effects);
      const escalated = t.level > open.level || severityRank(t.severity) > severityRank(open.severity);
      alert = await this.alerts.retrigger(tx, open.id, {
        severity: maxSeverity(open.severity, t.severity),
        level: Math.max(open.level, t.level),
        details: t.details,
        block: t.block,
        at: t.at,
      });
      announce = escalated;
    }
    if (announce) await this.emit(tx, 'alert.raised', alert, t.at);
    if (t.block) {
      const change = await this.blocks.addInTransaction(tx, rule.accountId, iccid, t.block, `alert ${alert.id}: ${rule.type}`, t.at, {
        alertId: alert.id,
        ruleId: rule.id,
      });
      if (change) effects.disconnect.add(iccid);
    }
    return alert;
  }

  /** Resolves an open alert (`by`: `system` or the operator) and releases its block if no other alert holds it. */
  async resolve(tx: SqlExecutor, alert: Alert, by: string, resolution: string, at: Date): Promise<Alert> {
    const resolved = await this.alerts.resolve(tx, alert.id, by, resolution, at);
    await this.emit(tx, 'alert.resolved', resolved, at);
    if (resolved.block && !(await this.alerts.blockHeldElsewhere(tx, resolved.iccid, resolved.block, resolved.id))) {
      await this.blocks.removeInTransaction(
        tx,
        resolved.accountId,
        resolved.iccid,
        resolved.block,
        `alert ${resolved.id} resolved (${resolution})`,
        at,
        { alertId: resolved.id, ruleId: resolved.ruleId },
      );
    }
    return resolved;
  }

  async acknowledge(tx: SqlExecutor, alert: Alert, by: string, at: Date): Promise<Alert> {
    const acknowledged = await this.alerts.acknowledge(tx, alert.id, by, at);
    await this.emit(tx, 'alert.acknowledged', acknowledged, at);
    return acknowledged;
  }

  private async emit(tx: SqlExecutor, type: EventType, alert: Alert, at: Date): Promise<void> {
    await this.events.append(tx, [domainEvent(type, alert.accountId, alert.id, alertData(alert), at)]);
  }
}

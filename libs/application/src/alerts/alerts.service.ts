import { Inject, Injectable } from '@nestjs/common';
import {
  type AlertRuleType,
  type AlertSeverity,
  AlertLifecycle,
  type Alert,
  type AlertStatus,
  Clock,
  DomainError,
  decodeCursor,
  toPage,
  type Page,
} from '@simfleet/domain';
import { Database, AlertRepository } from '@simfleet/persistence';
import { AlertWriter } from './alert-writer.js';

export interface AlertQuery {
  status?: AlertStatus[];
  severity?: AlertSeverity[];
  iccid?: string;
  ruleId?: string;
  type?: AlertRuleType;
  limit: number;
  cursor?: string;
}

/** /v1/alerts: reading alerts and the operator's side of their lifecycle. */
@Injectable()
export class AlertsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(AlertRepository) private readonly alerts: AlertRepository,
    @Inject(AlertWriter) private readonly writer: AlertWriter,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** Newest first. */
  async list(accountId: string, q: AlertQuery): Promise<Page<Alert>> {
    const rows = await this.alerts.list({
      accountId,
      status: q.status,
      severity: q.severity,
      iccid: q.iccid,
      ruleId: q.ruleId,
      type: q.type,
      before: q.cursor ? decodeCursor(q.cursor) : undefined,
      limit: q.limit + 1,
    });
    return toPage(rows, q.limit, (a) => a.id);
  }

  async get(accountId: string, id: string): Promise<Alert> {
    const alert = await this.alerts.get(accountId, id);
    if (!alert) throw DomainError.notFound('Alert', id);
    return alert;
  }

  /** active → acknowledged; acknowledging again changes nothing; a resolved alert is final (409). */
  async acknowledge(accountId: string, id: string, actor: string): Promise<Alert> {
    return this.db.transaction(async (tx) => {
      const alert = await this.alerts.get(accountId, id, tx, true);
      if (!alert) throw DomainError.notFound('Alert', id);
      if (!AlertLifecycle.canAcknowledge(alert)) return alert;
      return this.writer.acknowledge(tx, alert, actor, this.clock.now());
    });
  }

  /**
   * The operator closes the alert. A block the alert placed is lifted with it (the operator vouches for
   * the SIM); if the condition persists, the next record raises a new alert.
   */
  async resolve(accountId: string, id: string, actor: string): Promise<Alert> {
    return this.db.transaction(async (tx) => {
      const alert = await this.alerts.get(accountId, id, tx, true);
      if (!alert) throw DomainError.notFound('Alert', id);
      AlertLifecycle.assertResolvable(alert);
      return this.writer.resolve(tx, alert, actor, 'manual', this.clock.now());
    });
  }
}

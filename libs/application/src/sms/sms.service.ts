import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import {
  Clock,
  DomainError,
  ErrorCode,
  domainEvent,
  type DomainEvent,
  type EventType,
  newId,
  decodeCursor,
  toPage,
  type Page,
  checkSmsText,
  FINAL_SMS_STATUSES,
  smsStatusAdvances,
  type SmsKind,
  type SmsMessage,
  type SmsStatus,
  type Sim,
} from '@simfleet/domain';
import { Database, type SqlExecutor, EventRepository, SimRepository, SmsRepository } from '@simfleet/persistence';
import { JobQueue } from '@simfleet/queue';
import { deliveryJobId } from './network-simulator.gateway.js';
import { DeviceControl, type DownlinkOutcome } from '../device-control/device-control.js';
import { SmsGateway, type SmsStatusReport } from './sms-gateway.js';

const STATUS_EVENT: Record<SmsStatus, EventType> = {
  queued: 'sms.queued',
  sent: 'sms.sent',
  delivered: 'sms.delivered',
  failed: 'sms.failed',
  expired: 'sms.expired',
};

const NOT_DELIVERED_REASON: Record<Exclude<DownlinkOutcome, 'delivered'>, (iccid: string) => string> = {
  'not-connected': () => 'the device is not connected; delivery is retried until the validity period ends',
  'not-subscribed': (iccid) =>
    `the device is connected but not subscribed to things/${iccid}/sms; delivery is retried until the validity period ends`,
  'not-acknowledged': () => 'the device did not acknowledge the message; delivery is retried until the validity period ends',
};

export interface SendSmsInput {
  text: string;
  validitySeconds?: number;
}

/**
 * Mobile-terminated and wake-up SMS: validates the text, records the message, hands it to the gateway
 * (the billing moment: `submitted_at`), and follows its status to delivered, failed or expired.
 */
@Injectable()
export class SmsService {
  private readonly logger = new Logger('Sms');

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SmsRepository) private readonly messages: SmsRepository,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(SmsGateway) private readonly gateway: SmsGateway,
    @Inject(DeviceControl) private readonly devices: DeviceControl,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async send(accountId: string, ref: string, kind: SmsKind, input: SendSmsInput): Promise<SmsMessage> {
    const checked = checkSmsText(input.text, this.config.sms.maxSegments);
    const sim = await this.sims.findByRef(accountId, ref);
    if (!sim) throw DomainError.notFound('SIM', ref);
    if (!checked.ok) {
      throw DomainError.validation(
        `The text cannot be sent: ${checked.problems.map((p) => p.message).join('; ')}`,
        checked.problems.map((p) => ({ field: 'text', message: p.message })),
      );
    }
    this.assertReachable(sim);
    const now = this.clock.now();
    const validityMs = input.validitySeconds !== undefined ? input.validitySeconds * 1000 : this.config.sms.defaultValidityMs;
    const message: SmsMessage = {
      id: newId('sms'),
      accountId,
      iccid: sim.iccid,
      kind,
      text: input.text,
      encoding: checked.layout.encoding,
      segments: checked.layout.segments,
      status: 'queued',
      statusReason: null,
      gateway: this.gateway.name,
      gatewayMessageId: null,
      validityUntil: new Date(now.getTime() + validityMs),
      submittedAt: null,
      sentAt: null,
      deliveredAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.db.transaction(async (tx) => {
      await this.messages.insert(tx, message);
      await this.events.append(tx, [this.event(message, 'queued', now)]);
    });

    let outcome;
    try {
      outcome = await this.gateway.submit(message, { iccid: sim.iccid, msisdn: sim.msisdn });
    } catch (error) {
      // Not handed on, so not billed: the message fails and the caller learns the gateway is unavailable.
      await this.transition(message.id, 'failed', `the SMS gateway is unavailable: ${error instanceof Error ? error.message : String(error)}`);
      throw new DomainError(
        ErrorCode.DependencyUnavailable,
        'The SMS gateway is unavailable; the message was not sent (and is not billed). Retry later.',
        { smsId: message.id },
      );
    }
    const at = this.clock.now();
    return this.db.transaction(async (tx) => {
      if (!outcome.accepted) return this.applyStatus(tx, message.id, 'failed', outcome.reason, at);
      const submitted = await this.messages.markSubmitted(tx, message.id, at, outcome.gatewayMessageId, outcome.status);
      if (outcome.status === 'sent') await this.events.append(tx, [this.event(submitted, 'sent', at)]);
      return submitted;
    });
  }

  async get(accountId: string, id: string): Promise<SmsMessage> {
    const message = await this.messages.findById(id);
    if (!message || message.accountId !== accountId) throw DomainError.notFound('SMS', id);
    return message;
  }

  async listBySim(accountId: string, ref: string, limit: number, cursor?: string): Promise<Page<SmsMessage>> {
    const sim = await this.sims.findByRef(accountId, ref);
    if (!sim) throw DomainError.notFound('SIM', ref);
    const rows = await this.messages.listBySim(accountId, sim.iccid, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (m) => m.id);
  }

  /**
   * One delivery attempt of the network simulator (job `sms.deliver`): asks the broker holding the
   * device's connection to deliver; if it cannot, schedules the next attempt, or expires the message
   * once its validity period is over.
   */
  async attemptDelivery(messageId: string, attempt: number): Promise<void> {
    const message = await this.messages.findById(messageId);
    if (!message || FINAL_SMS_STATUSES.includes(message.status)) return;
    const now = this.clock.now();
    if (now.getTime() >= message.validityUntil.getTime()) {
      await this.transition(message.id, 'expired', 'the device stayed unreachable for the whole validity period');
      return;
    }
    const sim = await this.sims.findByRef(message.accountId, message.iccid);
    if (!sim || sim.status !== 'active' || sim.blocks.length) {
      await this.transition(
        message.id,
        'failed',
        sim
          ? `the SIM is ${sim.status}${sim.blocks.length ? ` and blocked (${sim.blocks.join(', ')})` : ''}: the network refuses it`
          : 'the SIM no longer exists',
      );
      return;
    }
    if (message.status === 'queued') await this.transition(message.id, 'sent', null);
    const outcome = await this.devices.deliverSms(message.iccid, {
      id: message.id,
      kind: message.kind,
      text: message.text,
      encoding: message.encoding,
      segments: message.segments,
      sentAt: now.toISOString(),
    });
    if (outcome === 'delivered') {
      await this.transition(message.id, 'delivered', null);
      return;
    }
    await this.db.transaction(async (tx) => {
      const current = await this.messages.findById(message.id, tx, true);
      if (current && !FINAL_SMS_STATUSES.includes(current.status))
        await this.messages.setStatus(tx, message.id, current.status, NOT_DELIVERED_REASON[outcome](message.iccid), this.clock.now());
    });
    // The last attempt is due when the validity period ends: it expires the message if still undelivered.
    const untilExpiry = message.validityUntil.getTime() - this.clock.now().getTime();
    const delayMs = Math.max(1, Math.min(this.config.sms.retryIntervalMs, untilExpiry));
    await this.queue.add('sms.deliver', { messageId: message.id, attempt: attempt + 1 }, { jobId: deliveryJobId(message.id, attempt + 1), delayMs });
  }

  /** A delivery report of the HTTP provider. Late, repeated or out-of-order reports do not move a message back. */
  async applyReport(report: SmsStatusReport): Promise<SmsMessage> {
    const at = this.clock.now();
    return this.db.transaction(async (tx) => {
      const message = await this.messages.findByGatewayMessageId(this.gateway.name, report.gatewayMessageId, tx, true);
      if (!message) throw DomainError.notFound('SMS with provider message id', report.gatewayMessageId);
      if (!smsStatusAdvances(message.status, report.status)) return message;
      return this.applyStatus(tx, message.id, report.status, report.reason ?? null, at);
    });
  }

  private assertReachable(sim: Sim): void {
    if (sim.status === 'active' && !sim.blocks.length) return;
    const blocked = sim.status === 'active';
    throw DomainError.conflict(
      blocked
        ? `SIM ${sim.iccid} is blocked (${sim.blocks.join(', ')}): the network refuses it until the block clears`
        : `SIM ${sim.iccid} is ${sim.status}: only an active SIM can receive SMS`,
      { iccid: sim.iccid, currentStatus: sim.status, blocks: sim.blocks },
    );
  }

  private async transition(id: string, status: SmsStatus, reason: string | null): Promise<void> {
    const at = this.clock.now();
    await this.db.transaction(async (tx) => {
      const current = await this.messages.findById(id, tx, true);
      if (!current || !smsStatusAdvances(current.status, status)) return;
      await this.applyStatus(tx, id, status, reason, at);
    });
    if (status !== 'sent') this.logger.debug(`SMS ${id}: ${status}${reason ? ` (${reason})` : ''}`);
  }

  /** Moves a message to a status with its events; queued → delivered also reports `sent`. */
  private async applyStatus(tx: SqlExecutor, id: string, status: SmsStatus, reason: string | null, at: Date): Promise<SmsMessage> {
    const before = await this.messages.findById(id, tx);
    const updated = await this.messages.setStatus(tx, id, status, reason, at);
    const events: DomainEvent[] = [];
    if (before?.status === 'queued' && status === 'delivered') events.push(this.event(updated, 'sent', at));
    events.push(this.event(updated, status, at));
    await this.events.append(tx, events);
    return updated;
  }

  private event(message: SmsMessage, status: SmsStatus, at: Date): DomainEvent {
    return domainEvent(
      STATUS_EVENT[status],
      message.accountId,
      message.id,
      {
        smsId: message.id,
        iccid: message.iccid,
        kind: message.kind,
        encoding: message.encoding,
        segments: message.segments,
        status,
        ...(message.statusReason && status === message.status ? { reason: message.statusReason } : {}),
      },
      at,
    );
  }
}

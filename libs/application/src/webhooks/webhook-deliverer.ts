import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import {
  Clock,
  domainEvent,
  type DomainEvent,
  nextStep,
  signatureHeader,
  webhookPayload,
  type WebhookDisabledReason,
  type WebhookEndpoint,
} from '@simfleet/domain';
import { Database, type SqlExecutor, EventRepository, WebhookRepository } from '@simfleet/persistence';
import { WebhookSender } from './webhook-sender.js';

/** Retry-After beyond this is capped: a receiver cannot park a delivery for days. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** One attempt of one delivery: send, record the attempt, schedule the next one or settle the delivery. */
@Injectable()
export class WebhookDeliverer {
  private readonly logger = new Logger('Webhooks');

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(WebhookRepository) private readonly webhooks: WebhookRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(WebhookSender) private readonly sender: WebhookSender,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `attemptCount` is the delivery's count when it was leased: a job for an attempt already made is a no-op. */
  async attempt(deliveryId: string, attemptCount: number): Promise<void> {
    const delivery = await this.webhooks.findDelivery(deliveryId);
    if (!delivery || delivery.status !== 'pending' || delivery.attemptCount !== attemptCount) return;
    const endpoint = await this.webhooks.findEndpointById(delivery.endpointId);
    if (!endpoint?.enabled) return;
    const event = await this.webhooks.findEvent(delivery.eventId);
    if (!event) throw new Error(`delivery ${deliveryId} refers to a missing event ${delivery.eventId}`);

    const body = webhookPayload(event);
    const attemptedAt = this.clock.now();
    const timestamp = Math.floor(attemptedAt.getTime() / 1000);
    const result = await this.sender.send({
      url: endpoint.url,
      body,
      headers: {
        // The event id: stable across retries and redeliveries, so receivers can deduplicate.
        'webhook-id': event.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(endpoint, event.id, timestamp, body, attemptedAt),
        'user-agent': 'simfleet-webhooks/1',
      },
    });
    const now = this.clock.now();
    const step = nextStep({
      statusCode: result.error ? null : result.statusCode,
      retryAfter: result.retryAfter,
      retryIndex: delivery.retryIndex,
      schedule: this.config.webhooks.retryScheduleMs,
      now,
      maxRetryAfterMs: MAX_RETRY_AFTER_MS,
    });
    const error = result.error ?? (step.kind === 'succeeded' ? null : `HTTP ${result.statusCode}`);

    await this.db.transaction(async (tx) => {
      // Endpoint first, then delivery: the order DELETE (endpoint, then its deliveries by cascade) locks them in.
      const lockedEndpoint = await this.webhooks.findEndpointById(endpoint.id, tx, true);
      const current = await this.webhooks.findDelivery(deliveryId, tx, true);
      // Deleted meanwhile, or another worker got here first (its lease outlived ours): nothing to record.
      if (!lockedEndpoint || !current || current.status !== 'pending' || current.attemptCount !== attemptCount) return;
      const attempt = attemptCount + 1;
      await this.webhooks.recordAttempt(tx, deliveryId, {
        attempt,
        attemptedAt,
        url: result.url,
        statusCode: result.statusCode,
        responseExcerpt: result.responseExcerpt,
        latencyMs: result.latencyMs,
        error: result.error,
      });
      await this.webhooks.updateDelivery(tx, deliveryId, {
        status: step.kind === 'succeeded' ? 'succeeded' : step.kind === 'retry' ? 'pending' : 'failed',
        attemptCount: attempt,
        retryIndex: step.kind === 'retry' ? delivery.retryIndex + 1 : delivery.retryIndex,
        nextAttemptAt: step.kind === 'retry' ? step.at : null,
        lastStatusCode: result.statusCode,
        lastError: error,
        at: now,
      });
      await this.updateEndpointHealth(tx, lockedEndpoint, step.kind, now);
    });
    if (step.kind !== 'succeeded') this.logger.debug(`delivery ${deliveryId} to ${endpoint.id} attempt ${attemptCount + 1}: ${error}`);
  }

  /** Tracks the endpoint's failure run; 410 Gone, or failing for longer than the configured period, disables it with an event. */
  private async updateEndpointHealth(
    tx: SqlExecutor,
    endpoint: WebhookEndpoint,
    outcome: 'succeeded' | 'retry' | 'exhausted' | 'gone',
    now: Date,
  ): Promise<void> {
    if (outcome === 'succeeded') {
      if (endpoint.failingSince) await this.webhooks.updateEndpoint(tx, { ...endpoint, failingSince: null, updatedAt: now });
      return;
    }
    const failingSince = endpoint.failingSince ?? now;
    let reason: WebhookDisabledReason | null = null;
    if (endpoint.enabled && outcome === 'gone') reason = 'gone';
    else if (endpoint.enabled && now.getTime() - failingSince.getTime() >= this.config.webhooks.disableAfterMs) reason = 'failing';
    if (!reason) {
      if (!endpoint.failingSince) await this.webhooks.updateEndpoint(tx, { ...endpoint, failingSince, updatedAt: now });
      return;
    }
    await this.webhooks.updateEndpoint(tx, { ...endpoint, failingSince, enabled: false, disabledReason: reason, disabledAt: now, updatedAt: now });
    await this.events.append(tx, [disabledEvent(endpoint, reason, failingSince, now)]);
  }
}

function disabledEvent(endpoint: WebhookEndpoint, reason: WebhookDisabledReason, failingSince: Date, now: Date): DomainEvent {
  return domainEvent(
    'webhook.disabled',
    endpoint.accountId,
    endpoint.id,
    { webhookId: endpoint.id, url: endpoint.url, reason, failingSince: failingSince.toISOString() },
    now,
  );
}

import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import {
  Clock,
  DomainError,
  domainEvent,
  EVENT_TYPES,
  newId,
  decodeCursor,
  toPage,
  type Page,
  SECRET_PREFIX,
  type DeliveryAttempt,
  type DeliveryStatus,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '@simfleet/domain';
import { Database, EventRepository, WebhookRepository } from '@simfleet/persistence';
import { RefusedUrl, WebhookUrlGuard } from './url-guard.js';

export interface EndpointInput {
  url: string;
  events: string[];
  description?: string | null;
  enabled?: boolean;
}

export type DeliveryWithAttempts = WebhookDelivery & { attempts: DeliveryAttempt[] };

/** A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks asks for 24 to 64). */
export const newWebhookSecret = (): string => `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;

/** Patterns must name an event type of the catalogue, a prefix of one (`sim.*`) or `*`: a typo would silently match nothing. */
export function checkEventPatterns(patterns: string[]): void {
  const errors = patterns.flatMap((pattern, index) => {
    if (pattern === '*') return [];
    const known = pattern.endsWith('.*')
      ? EVENT_TYPES.some((t) => t.startsWith(pattern.slice(0, -1)))
      : (EVENT_TYPES as readonly string[]).includes(pattern);
    return known
      ? []
      : [
          {
            field: `events/${index}`,
            message: `${pattern} is not an event type of the catalogue (docs/events.md), nor a prefix of one such as sim.*`,
          },
        ];
  });
  if (errors.length) throw DomainError.validation(`Unknown event types: ${errors.map((e) => e.message).join('; ')}`, errors);
}

/** Webhook endpoints of an account: registration (with SSRF checks), secret rotation, the delivery log. */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(WebhookRepository) private readonly webhooks: WebhookRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(WebhookUrlGuard) private readonly guard: WebhookUrlGuard,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(accountId: string, input: EndpointInput): Promise<WebhookEndpoint> {
    checkEventPatterns(input.events);
    await this.checkUrl(input.url);
    return this.db.transaction(async (tx) => {
      // Its creation time is read once no event append of the account is in flight (EventRepository.append).
      if (input.enabled !== false) await this.webhooks.lockRegistrations(tx, accountId);
      const now = this.clock.now();
      const endpoint: WebhookEndpoint = {
        id: newId('whk'),
        accountId,
        url: input.url,
        description: input.description ?? null,
        events: [...new Set(input.events)],
        enabled: input.enabled ?? true,
        disabledReason: input.enabled === false ? 'manual' : null,
        disabledAt: input.enabled === false ? now : null,
        secret: newWebhookSecret(),
        previousSecret: null,
        previousSecretExpiresAt: null,
        failingSince: null,
        createdAt: now,
        updatedAt: now,
      };
      await this.webhooks.insertEndpoint(tx, endpoint);
      return endpoint;
    });
  }

  async get(accountId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.webhooks.findEndpoint(accountId, id);
    if (!endpoint) throw DomainError.notFound('Webhook', id);
    return endpoint;
  }

  async list(accountId: string, limit: number, cursor?: string): Promise<Page<WebhookEndpoint>> {
    const rows = await this.webhooks.listEndpoints(accountId, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (e) => e.id);
  }

  async update(accountId: string, id: string, patch: Partial<EndpointInput>): Promise<WebhookEndpoint> {
    if (patch.events) checkEventPatterns(patch.events);
    if (patch.url !== undefined) await this.checkUrl(patch.url);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const current = await this.webhooks.findEndpoint(accountId, id, tx, true);
      if (!current) throw DomainError.notFound('Webhook', id);
      const next: WebhookEndpoint = {
        ...current,
        url: patch.url ?? current.url,
        events: patch.events ? [...new Set(patch.events)] : current.events,
        description: patch.description !== undefined ? patch.description : current.description,
        updatedAt: now,
      };
      if (patch.enabled === true && !current.enabled) {
        // A fresh start: the failure run that disabled it is over, pending deliveries resume. Taken after the
        // endpoint's row lock (the deliverer locks that row before appending its `webhook.disabled` event).
        await this.webhooks.lockRegistrations(tx, accountId);
        Object.assign(next, { enabled: true, disabledReason: null, disabledAt: null, failingSince: null });
      } else if (patch.enabled === false && current.enabled) {
        Object.assign(next, { enabled: false, disabledReason: 'manual', disabledAt: now });
      }
      return this.webhooks.updateEndpoint(tx, next);
    });
  }

  async delete(accountId: string, id: string): Promise<void> {
    const deleted = await this.db.transaction((tx) => this.webhooks.deleteEndpoint(tx, accountId, id));
    if (!deleted) throw DomainError.notFound('Webhook', id);
  }

  /** A new secret; the old one keeps signing alongside it for the configured overlap, so receivers can switch without losing a delivery. */
  async rotateSecret(accountId: string, id: string): Promise<WebhookEndpoint> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const current = await this.webhooks.findEndpoint(accountId, id, tx, true);
      if (!current) throw DomainError.notFound('Webhook', id);
      return this.webhooks.updateEndpoint(tx, {
        ...current,
        secret: newWebhookSecret(),
        previousSecret: current.secret,
        previousSecretExpiresAt: new Date(now.getTime() + this.config.webhooks.secretOverlapMs),
        updatedAt: now,
      });
    });
  }

  async deliveries(
    accountId: string,
    id: string,
    filter: { status?: DeliveryStatus; cursor?: string; limit: number },
  ): Promise<Page<DeliveryWithAttempts>> {
    await this.get(accountId, id);
    const rows = await this.webhooks.listDeliveries(id, {
      status: filter.status,
      after: filter.cursor ? decodeCursor(filter.cursor) : undefined,
      limit: filter.limit + 1,
    });
    return toPage(rows, filter.limit, (d) => d.id);
  }

  /** Sends a delivery again from the start of the retry schedule (same `webhook-id`: receivers deduplicate on it). */
  async redeliver(accountId: string, id: string, deliveryId: string): Promise<DeliveryWithAttempts> {
    const endpoint = await this.get(accountId, id);
    if (!endpoint.enabled)
      throw DomainError.conflict(`Webhook ${id} is disabled (${endpoint.disabledReason}); enable it before redelivering`, { webhookId: id });
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const delivery = await this.webhooks.findDelivery(deliveryId, tx, true);
      if (!delivery || delivery.endpointId !== id) throw DomainError.notFound('Delivery', deliveryId);
      if (delivery.status === 'pending')
        throw DomainError.conflict(
          `Delivery ${deliveryId} is still pending; it will be attempted again at ${delivery.nextAttemptAt?.toISOString()}`,
          { deliveryId },
        );
      await this.webhooks.updateDelivery(tx, deliveryId, {
        status: 'pending',
        attemptCount: delivery.attemptCount,
        retryIndex: 1,
        nextAttemptAt: new Date(now.getTime() + this.config.webhooks.retryScheduleMs[0]),
        lastStatusCode: delivery.lastStatusCode,
        lastError: delivery.lastError,
        at: now,
      });
    });
    return this.deliveryOf(deliveryId);
  }

  /** Records a `webhook.test` event and delivers it to this endpoint only, whatever its subscriptions. */
  async sendTest(accountId: string, id: string): Promise<DeliveryWithAttempts> {
    const endpoint = await this.get(accountId, id);
    if (!endpoint.enabled)
      throw DomainError.conflict(`Webhook ${id} is disabled (${endpoint.disabledReason}); enable it to test it`, { webhookId: id });
    const now = this.clock.now();
    const event = domainEvent('webhook.test', accountId, endpoint.id, { webhookId: endpoint.id, url: endpoint.url }, now);
    const deliveryId = newId('dlv');
    await this.db.transaction(async (tx) => {
      await this.events.append(tx, [event]);
      // Already dispatched: the test goes to this endpoint, not to every `webhook.*` subscriber.
      await this.webhooks.markDispatched(tx, [event.id], now);
      await this.webhooks.insertDeliveries(
        tx,
        [
          {
            id: deliveryId,
            endpointId: endpoint.id,
            accountId,
            eventId: event.id,
            retryIndex: 1,
            nextAttemptAt: new Date(now.getTime() + this.config.webhooks.retryScheduleMs[0]),
          },
        ],
        now,
      );
    });
    return this.deliveryOf(deliveryId);
  }

  private async deliveryOf(deliveryId: string): Promise<DeliveryWithAttempts> {
    const delivery = await this.webhooks.findDelivery(deliveryId);
    if (!delivery) throw DomainError.notFound('Delivery', deliveryId);
    return { ...delivery, attempts: await this.webhooks.attemptsOf(deliveryId) };
  }

  private async checkUrl(url: string): Promise<void> {
    try {
      await this.guard.check(url);
    } catch (error) {
      if (error instanceof RefusedUrl) throw DomainError.validation(`url is refused: ${error.reason}`, [{ field: 'url', message: error.reason }]);
      throw error;
    }
  }
}

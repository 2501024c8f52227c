import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { WebhooksService, type DeliveryWithAttempts } from '@simfleet/application';
import { DELIVERY_STATUSES, WEBHOOK_DISABLED_REASONS, type WebhookEndpoint } from '@simfleet/domain';
import { CurrentAccountId, RequireScope, ApiRoute, ApiJsonBody, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { pageOf } from '../http/views.js';

const instant = z.string().describe('ISO 8601 date-time (UTC)');
const eventPattern = z
  .string()
  .max(100)
  .regex(/^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$/, 'an event type such as alert.raised, a prefix such as sim.*, or *')
  .describe('An event type (alert.raised), a prefix (sim.*) or * for every event');
const url = z.string().trim().min(1).max(2000).meta({ format: 'uri' }).describe('http(s) URL of the receiver; must resolve to a public address');

const createBody = z
  .object({
    url,
    events: z.array(eventPattern).min(1).max(100),
    description: z.string().trim().max(500).nullable().optional(),
    enabled: z.boolean().default(true),
  })
  .strict();
const patchBody = z
  .object({
    url: url.optional(),
    events: z.array(eventPattern).min(1).max(100).optional(),
    description: z.string().trim().max(500).nullable().optional(),
    enabled: z.boolean().optional().describe('true re-enables a disabled endpoint: its pending deliveries resume'),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'at least one of url, events, description, enabled' });
const deliveryParams = z.object({ status: z.enum(DELIVERY_STATUSES).optional(), ...pageQuery }).strict();
const pageParams = z.object(pageQuery).strict();

const webhookView = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: z.enum(WEBHOOK_DISABLED_REASONS).nullable().describe('gone: the receiver answered 410; failing: it failed for too long; manual'),
  disabledAt: instant.nullable(),
  failingSince: instant.nullable().describe('Start of the current run of failed attempts'),
  previousSecretExpiresAt: instant.nullable().describe('Until then, deliveries also carry a signature with the previous secret'),
  createdAt: instant,
  updatedAt: instant,
});
const webhookWithSecretView = webhookView.extend({ secret: z.string().describe('whsec_…: the signing secret, shown once') });
const attemptView = z.object({
  attempt: z.number().int(),
  attemptedAt: instant,
  url: z.string().describe('The URL that answered (after redirects)'),
  statusCode: z.number().int().nullable(),
  responseExcerpt: z.string().nullable().describe('First KiB of the response body'),
  latencyMs: z.number().int(),
  error: z.string().nullable().describe('Timeout, connection error, refused address…'),
});
const deliveryView = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventId: z.string().describe('Also the webhook-id header'),
  eventType: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attemptCount: z.number().int(),
  nextAttemptAt: instant.nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: instant,
  updatedAt: instant,
  attempts: z.array(attemptView),
});

// The secret is never shown again after creation or rotation.
const presentWebhook = (e: WebhookEndpoint) => ({
  id: e.id,
  url: e.url,
  description: e.description,
  events: e.events,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  disabledAt: e.disabledAt,
  failingSince: e.failingSince,
  previousSecretExpiresAt: e.previousSecret ? e.previousSecretExpiresAt : null,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

const presentDelivery = (d: DeliveryWithAttempts) => ({
  id: d.id,
  webhookId: d.endpointId,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attemptCount: d.attemptCount,
  nextAttemptAt: d.nextAttemptAt,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
  attempts: d.attempts,
});

const WebhookId = () => ApiParam({ name: 'id', description: 'Webhook id (whk_…)' });

@ApiTags('webhooks')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(@Inject(WebhooksService) private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('write')
  @ApiJsonBody(createBody)
  @ApiRoute({ status: 201, schema: webhookWithSecretView, description: 'The endpoint, with its signing secret (shown once)' }, 422)
  async create(@CurrentAccountId() accountId: string, @Body(new ZodPipe(createBody)) body: z.infer<typeof createBody>) {
    const endpoint = await this.webhooks.create(accountId, body);
    return { ...presentWebhook(endpoint), secret: endpoint.secret };
  }

  @Get()
  @RequireScope('read')
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(webhookView) }, 422)
  async list(@CurrentAccountId() accountId: string, @Query(new ZodPipe(pageParams, 'query')) q: z.infer<typeof pageParams>) {
    const page = await this.webhooks.list(accountId, q.limit, q.cursor);
    return { ...page, data: page.data.map(presentWebhook) };
  }

  @Get(':id')
  @RequireScope('read')
  @WebhookId()
  @ApiRoute({ schema: webhookView }, 404)
  async get(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return presentWebhook(await this.webhooks.get(accountId, id));
  }

  @Patch(':id')
  @RequireScope('write')
  @WebhookId()
  @ApiJsonBody(patchBody, 'Only the fields sent change')
  @ApiRoute({ schema: webhookView }, 404, 422)
  async update(@CurrentAccountId() accountId: string, @Param('id') id: string, @Body(new ZodPipe(patchBody)) body: z.infer<typeof patchBody>) {
    return presentWebhook(await this.webhooks.update(accountId, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('write')
  @WebhookId()
  @ApiRoute({ status: 204, schema: z.null(), description: 'Deleted, with its delivery log' }, 404)
  async remove(@CurrentAccountId() accountId: string, @Param('id') id: string): Promise<void> {
    await this.webhooks.delete(accountId, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @RequireScope('write')
  @WebhookId()
  @ApiRoute(
    { schema: webhookWithSecretView, description: 'The new secret (shown once); the previous one keeps signing until previousSecretExpiresAt' },
    404,
  )
  async rotateSecret(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    const endpoint = await this.webhooks.rotateSecret(accountId, id);
    return { ...presentWebhook(endpoint), secret: endpoint.secret };
  }

  @Get(':id/deliveries')
  @RequireScope('read')
  @WebhookId()
  @ApiQueryFrom(deliveryParams)
  @ApiRoute({ schema: pageOf(deliveryView), description: 'Deliveries, newest first, each with its attempts' }, 404, 422)
  async deliveries(
    @CurrentAccountId() accountId: string,
    @Param('id') id: string,
    @Query(new ZodPipe(deliveryParams, 'query')) q: z.infer<typeof deliveryParams>,
  ) {
    const page = await this.webhooks.deliveries(accountId, id, { status: q.status, cursor: q.cursor, limit: q.limit });
    return { ...page, data: page.data.map(presentDelivery) };
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @RequireScope('write')
  @WebhookId()
  @ApiParam({ name: 'deliveryId', description: 'Delivery id (dlv_…)' })
  @ApiRoute(
    { status: 202, schema: deliveryView, description: 'Queued again from the start of the retry schedule, with the same webhook-id' },
    404,
    409,
  )
  async redeliver(@CurrentAccountId() accountId: string, @Param('id') id: string, @Param('deliveryId') deliveryId: string) {
    return presentDelivery(await this.webhooks.redeliver(accountId, id, deliveryId));
  }

  @Post(':id/test')
  @HttpCode(202)
  @RequireScope('write')
  @WebhookId()
  @ApiRoute({ status: 202, schema: deliveryView, description: 'A webhook.test event, delivered to this endpoint only' }, 404, 409)
  async test(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return presentDelivery(await this.webhooks.sendTest(accountId, id));
  }
}

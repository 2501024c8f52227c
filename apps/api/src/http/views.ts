import { z } from 'zod';
import { ACCOUNT_SCOPES } from '@simfleet/auth';
import { ORDER_STATUSES, FORM_FACTORS, SIM_ACTIONS, SIM_BLOCKS, SIM_STATUSES } from '@simfleet/domain';

// Response shapes, for the OpenAPI document. Validation schemas live beside their controllers.
const instant = z.string().describe('ISO 8601 date-time (UTC)');

export const accountView = z.object({ id: z.string(), name: z.string(), createdAt: instant });
export const apiKeyView = z.object({
  id: z.string(),
  accountId: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(ACCOUNT_SCOPES)),
  createdAt: instant,
  lastUsedAt: instant.nullable().optional(),
  revokedAt: instant.nullable().optional().describe('Set once the key is revoked (it no longer authenticates)'),
  key: z.string().optional().describe('The API key: returned once, at creation'),
});

export const simView = z.object({
  iccid: z.string(),
  imsi: z.string(),
  msisdn: z.string().nullable(),
  eid: z.string().nullable(),
  formFactor: z.enum(FORM_FACTORS).nullable(),
  accountId: z.string().nullable(),
  orderId: z.string().nullable(),
  name: z.string().nullable(),
  status: z.enum(SIM_STATUSES),
  blocks: z.array(z.enum(SIM_BLOCKS)),
  allowedActions: z.array(z.enum(SIM_ACTIONS)),
  tags: z.record(z.string(), z.string()),
  groupId: z.string().nullable(),
  labels: z.array(z.string()),
  endUserDevice: z.object({ declared: z.boolean(), declaredBy: z.string().nullable(), declaredAt: instant.nullable() }),
  authorizedImeis: z.array(z.string()),
  hasCredentials: z.boolean(),
  firstActivatedAt: instant.nullable(),
  lastSeenAt: instant.nullable(),
  mcc: z.string().nullable(),
  mnc: z.string().nullable(),
  network: z.string().nullable(),
  country: z.string().nullable(),
  rat: z.string().nullable(),
  imei: z.string().nullable(),
  signalDbm: z.number().nullable(),
  firmware: z.string().nullable(),
  lastLocation: z
    .object({ lat: z.number(), lon: z.number(), accuracyM: z.number().nullable(), source: z.string().nullable(), at: instant })
    .nullable(),
  allocatedAt: instant.nullable().describe('When the SIM was allocated to its account (an order)'),
  createdAt: instant,
  updatedAt: instant,
  deviceSecret: z.string().optional().describe('Device secret issued by this action: returned once'),
});

export const orderView = z.object({
  id: z.string(),
  accountId: z.string(),
  quantity: z.number().int(),
  formFactor: z.enum(FORM_FACTORS),
  shippingAddress: z.record(z.string(), z.string()).nullable(),
  status: z.enum(ORDER_STATUSES),
  statusReason: z.string().nullable(),
  carrier: z.string().nullable(),
  trackingNumber: z.string().nullable(),
  shippedAt: instant.nullable(),
  deliveredAt: instant.nullable(),
  createdAt: instant,
  updatedAt: instant,
});

export const historyView = z.object({
  id: z.number().int(),
  iccid: z.string(),
  from: z.enum(SIM_STATUSES).nullable(),
  to: z.enum(SIM_STATUSES),
  action: z.string(),
  actor: z.string().describe('`api_key:<id>`, `user:<id>` or `system`'),
  reason: z.string().nullable(),
  blocks: z.array(z.string()),
  at: instant,
});

export const usageView = z.object({
  iccid: z.string(),
  from: instant,
  to: instant,
  interval: z.enum(['hour', 'day', 'month']),
  buckets: z.array(
    z.object({ start: instant, bytesUp: z.number().int(), bytesDown: z.number().int(), bytesTotal: z.number().int(), sessions: z.number().int() }),
  ),
  totals: z.object({ bytesUp: z.number().int(), bytesDown: z.number().int(), bytesTotal: z.number().int(), sessions: z.number().int() }),
});

export const eventView = z.object({
  id: z.string().describe('ULID'),
  type: z.string(),
  occurredAt: instant,
  accountId: z.string().nullable(),
  subject: z.string(),
  data: z.record(z.string(), z.unknown()),
  schemaVersion: z.number().int(),
});

export const pageOf = (item: z.ZodType) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

import { hash } from 'node:crypto';
import { encodeTime, ulid } from 'ulid';

/**
 * The envelope of every event the platform emits (docs/events.md): stored in the outbox, listed by
 * GET /v1/events and delivered to webhooks.
 */
export interface DomainEvent<Data extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  type: string;
  occurredAt: Date;
  accountId: string | null;
  /** What the event is about: an ICCID, an order id, an alert id… */
  subject: string;
  data: Data;
  schemaVersion: number;
}

export const EVENT_TYPES = [
  'sim.activated',
  'sim.suspended',
  'sim.resumed',
  'sim.terminated',
  'sim.blocked',
  'sim.unblocked',
  'sim.allocated',
  'sim.credentials.rotated',
  'sim.location.updated',
  'sim.connected',
  'sim.disconnected',
  'session.started',
  'session.updated',
  'session.ended',
  'alert.raised',
  'alert.acknowledged',
  'alert.resolved',
  'order.created',
  'order.pending',
  'order.allocated',
  'order.shipped',
  'order.delivered',
  'order.cancelled',
  'invoice.drafted',
  'invoice.finalized',
  'sms.queued',
  'sms.sent',
  'sms.delivered',
  'sms.failed',
  'sms.expired',
  'support_case.opened',
  'support_case.updated',
  'support_case.closed',
  'sim.updated',
  'group.created',
  'group.updated',
  'group.deleted',
  'job.progress',
  'job.completed',
  'job.failed',
  'webhook.disabled',
  'webhook.test',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function domainEvent<Data extends Record<string, unknown>>(
  type: EventType,
  accountId: string | null,
  subject: string,
  data: Data,
  occurredAt: Date,
): DomainEvent<Data> {
  return { id: ulid(occurredAt.getTime()), type, accountId, subject, data, occurredAt, schemaVersion: 1 };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * An event whose id is derived from what it reports (`dedupeKey`): re-processing the same record (a job
 * retried after its transaction committed) yields the same id, and the outbox keeps one copy.
 */
export function idempotentEvent<Data extends Record<string, unknown>>(
  type: EventType,
  accountId: string | null,
  subject: string,
  data: Data,
  occurredAt: Date,
  dedupeKey: string,
): DomainEvent<Data> {
  // One-shot hashing: telemetry derives thousands of ids per second.
  const digest = hash('sha256', `${type}\u0000${subject}\u0000${dedupeKey}`, 'buffer');
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[digest[i] % 32];
  return { id: `${encodeTime(occurredAt.getTime(), 10)}${random}`, type, accountId, subject, data, occurredAt, schemaVersion: 1 };
}

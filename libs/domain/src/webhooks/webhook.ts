import { createHmac } from 'node:crypto';
import type { DomainEvent } from '../events/domain-event.js';

export interface WebhookEndpoint {
  id: string;
  accountId: string;
  url: string;
  description: string | null;
  /** Exact event types (`alert.raised`), prefixes (`sim.*`) or `*` for every event. */
  events: string[];
  enabled: boolean;
  disabledReason: WebhookDisabledReason | null;
  disabledAt: Date | null;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  /** Start of the current run of failed attempts; null once an attempt succeeds. */
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const WEBHOOK_DISABLED_REASONS = ['gone', 'failing', 'manual'] as const;
export type WebhookDisabledReason = (typeof WEBHOOK_DISABLED_REASONS)[number];

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryAttempt {
  attempt: number;
  attemptedAt: Date;
  url: string;
  statusCode: number | null;
  /** The first KiB of the response body. */
  responseExcerpt: string | null;
  latencyMs: number;
  error: string | null;
}

export interface WebhookDelivery {
  id: string;
  endpointId: string;
  accountId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attemptCount: number;
  /** Position in the retry schedule of the next attempt (reset by a redelivery). */
  retryIndex: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Does a subscription pattern (`sim.*`, `alert.raised`, `*`) select an event type? */
export function matchesEventPattern(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

export const endpointWants = (endpoint: Pick<WebhookEndpoint, 'events'>, type: string): boolean =>
  endpoint.events.some((pattern) => matchesEventPattern(pattern, type));

/** The JSON body of a delivery: the event envelope, as GET /v1/events shows it. */
export function webhookPayload(event: DomainEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    accountId: event.accountId,
    subject: event.subject,
    data: event.data,
    schemaVersion: event.schemaVersion,
  });
}

export const SECRET_PREFIX = 'whsec_';

/**
 * One `v1,<base64>` signature (Standard Webhooks): HMAC-SHA256 of `id.timestamp.body` keyed with the
 * base64-decoded part of the secret after `whsec_`.
 */
export function signPayload(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header: the current secret's signature, plus the previous one's during a rotation overlap. */
export function signatureHeader(
  endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>,
  messageId: string,
  timestampSeconds: number,
  body: string,
  now: Date,
): string {
  const signatures = [signPayload(endpoint.secret, messageId, timestampSeconds, body)];
  if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    signatures.push(signPayload(endpoint.previousSecret, messageId, timestampSeconds, body));
  }
  return signatures.join(' ');
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `0s,5s,5m,30m,2h` into the delay before each attempt, in ms. */
export function parseRetrySchedule(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  return parts.map((part) => {
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(part);
    if (!match) throw new Error(`not a duration: ${JSON.stringify(part)}`);
    return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  });
}

/** `Retry-After` as a delay in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

export type AttemptOutcome = { kind: 'succeeded' } | { kind: 'retry'; at: Date } | { kind: 'exhausted' } | { kind: 'gone' };

/**
 * What follows an attempt: 2xx succeeds; 410 disables the endpoint; anything else is retried at the next
 * delay of the schedule, or later when `Retry-After` (429/503) asks for more; the schedule's end fails it.
 */
export function nextStep(input: {
  statusCode: number | null;
  retryAfter: string | undefined;
  retryIndex: number;
  schedule: readonly number[];
  now: Date;
  maxRetryAfterMs: number;
}): AttemptOutcome {
  const { statusCode } = input;
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { kind: 'succeeded' };
  if (statusCode === 410) return { kind: 'gone' };
  if (input.retryIndex >= input.schedule.length) return { kind: 'exhausted' };
  let delay = input.schedule[input.retryIndex];
  if (statusCode === 429 || statusCode === 503) {
    const asked = parseRetryAfter(input.retryAfter, input.now);
    if (asked !== null) delay = Math.max(delay, Math.min(asked, input.maxRetryAfterMs));
  }
  return { kind: 'retry', at: new Date(input.now.getTime() + delay) };
}

import { z } from 'zod';
import { INSTANT_PATTERN } from './time.js';

/**
 * Billable events: `{id, channel, type, at, ...channel fields}`. `at` is the billing moment
 * (successful submission, acceptance or delivery as the channel says) with an explicit offset.
 * Every event may carry `blocked: true` (Signals verdict: neither billed nor counted) and
 * `rejected: true` (failed platform validation: never billed). State events (numbers provisioned,
 * users provisioned, WhatsApp senders, recordings stored, MOs opening windows) may predate the
 * period: the rater replays them to know what was open or held when the period started.
 */
// The instants a PostgreSQL timestamp holds once in UTC: year 0000 is ISO 8601 but not a date there.
const FIRST_INSTANT = Date.UTC(1, 0, 1);
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const base = {
  id: z.string().min(1, 'id must be a non-empty string').max(200, 'id must be at most 200 characters'),
  at: z
    .string()
    .regex(INSTANT_PATTERN, 'at must be an ISO 8601 instant with offset, e.g. 2026-10-05T12:00:00Z')
    .refine((value) => Date.parse(value) >= FIRST_INSTANT && Date.parse(value) <= LAST_INSTANT, 'at must lie between 0001-01-01 and 9999-12-31'),
  blocked: z.boolean().optional(),
  rejected: z.boolean().optional(),
};
const msisdn = z.string().regex(/^\+?\d{3,15}$/, 'must be an E.164 number such as +33612345678');
const nonEmpty = z.string().min(1);

function ev<C extends string, T extends string, S extends z.ZodRawShape>(channel: C, type: T, shape: S) {
  return z.object({ ...base, channel: z.literal(channel), type: z.literal(type), ...shape });
}

const delivered = z.boolean({ error: 'delivered (boolean) is required: this channel bills on delivery' });

export const EVENT_SCHEMAS = {
  'sms:mt': ev('sms', 'mt', { to: msisdn, segments: z.number().int().positive().optional() }),
  'sms:mo': ev('sms', 'mo', { from: msisdn }),
  'mms:mt': ev('mms', 'mt', { to: msisdn }),
  'mms:mo': ev('mms', 'mo', { from: msisdn }),
  'rcs:mt': ev('rcs', 'mt', { to: msisdn }),
  'rcs:mo': ev('rcs', 'mo', { from: msisdn }),
  'number-lookup:lookup': ev('number-lookup', 'lookup', { msisdn }),
  'numbers:provisioned': ev('numbers', 'provisioned', { number: nonEmpty, numberType: z.enum(['long', 'short', 'toll-free', 'voice']) }),
  'numbers:released': ev('numbers', 'released', { number: nonEmpty }),
  'email:submitted': ev('email', 'submitted', { to: nonEmpty }),
  'email:suppressed': ev('email', 'suppressed', { to: nonEmpty }),
  'email:bounced': ev('email', 'bounced', { to: nonEmpty }),
  'email-validation:request': ev('email-validation', 'request', { address: nonEmpty, result: z.enum(['yes', 'no', 'unknown']).optional() }),
  'viber:mo': ev('viber', 'mo', { sender: nonEmpty, from: nonEmpty }),
  'viber:message': ev('viber', 'message', {
    sender: nonEmpty,
    to: nonEmpty,
    messageType: z.enum(['session', 'transactional', 'promotional']),
    delivered,
  }),
  'viber-bot:mo': ev('viber-bot', 'mo', { bot: nonEmpty, from: nonEmpty }),
  'viber-bot:message': ev('viber-bot', 'message', { bot: nonEmpty, to: nonEmpty, delivered }),
  'whatsapp:mo': ev('whatsapp', 'mo', { sender: nonEmpty, from: nonEmpty }),
  'whatsapp:template': ev('whatsapp', 'template', {
    sender: nonEmpty,
    to: nonEmpty,
    category: z.enum(['utility', 'authentication', 'marketing']),
    delivered,
  }),
  'whatsapp:free-form': ev('whatsapp', 'free-form', { sender: nonEmpty, to: nonEmpty, delivered }),
  'whatsapp:sender-registered': ev('whatsapp', 'sender-registered', { sender: nonEmpty, hosting: z.enum(['cloud', 'hosted']) }),
  'whatsapp:sender-removed': ev('whatsapp', 'sender-removed', { sender: nonEmpty }),
  'ussd:session': ev('ussd', 'session', { msisdn, initiatedBy: z.enum(['client', 'third-party', 'end-user']) }),
  'push:notification': ev('push', 'notification', { to: nonEmpty }),
  'messenger:notification': ev('messenger', 'notification', { to: nonEmpty, delivered }),
  'telegram:notification': ev('telegram', 'notification', { to: nonEmpty, delivered }),
  'google-bm:notification': ev('google-bm', 'notification', { to: nonEmpty, delivered }),
  'apple-bc:notification': ev('apple-bc', 'notification', { to: nonEmpty, delivered }),
  'kakao:notification-talk': ev('kakao', 'notification-talk', { to: nonEmpty, delivered }),
  'kakao:friends-talk': ev('kakao', 'friends-talk', { to: nonEmpty, delivered }),
  'kakao:consultation-session': ev('kakao', 'consultation-session', { from: nonEmpty }),
  'voice:call': ev('voice', 'call', {
    callId: nonEmpty,
    service: z.enum(['web-in-app', 'voice-message', 'ivr', 'click-to-call', 'number-masking', 'sip-trunk', 'forwarding']),
    to: msisdn,
    /** Established and answered by a person or an answering machine; `at` is the answer (or, for masking, connection/audio) time. */
    answered: z.boolean(),
    durationSeconds: z.number().nonnegative(),
    answeredBy: z.enum(['human', 'machine']).optional(),
    amd: z.boolean().optional(),
    byoc: z.boolean().optional(),
    recorded: z.boolean().optional(),
    leg: z.enum(['a', 'b']).optional(),
  }),
  'byoc:setup': ev('byoc', 'setup', {}),
  'recording:stored': ev('recording', 'stored', {
    recordingId: nonEmpty,
    scope: z.enum(['conversations', 'standalone']),
    sizeBytes: z.number().int().nonnegative().optional(),
    durationSeconds: z.number().nonnegative().optional(),
  }),
  'recording:deleted': ev('recording', 'deleted', { recordingId: nonEmpty }),
  'conversations:user-provisioned': ev('conversations', 'user-provisioned', { userId: nonEmpty }),
  'conversations:user-deprovisioned': ev('conversations', 'user-deprovisioned', { userId: nonEmpty }),
  'conversations-api:message': ev('conversations-api', 'message', { conversationId: nonEmpty, direction: z.enum(['in', 'out']) }),
  'moments:flow-message': ev('moments', 'flow-message', { personId: nonEmpty }),
  'moments:flow-inbound': ev('moments', 'flow-inbound', { personId: nonEmpty }),
  'answers:message': ev('answers', 'message', { bot: nonEmpty, userId: nonEmpty, direction: z.enum(['in', 'out']) }),
  'answers:session-end': ev('answers', 'session-end', { bot: nonEmpty, userId: nonEmpty, reason: z.enum(['completed', 'transferred']) }),
} as const;

type Schemas = typeof EVENT_SCHEMAS;
export type EventKey = keyof Schemas;
export type BillableEvent = { [K in EventKey]: z.infer<Schemas[K]> }[EventKey];
export type EventOf<K extends EventKey> = z.infer<Schemas[K]>;
export type Channel = BillableEvent['channel'];

export const CHANNELS: readonly Channel[] = [...new Set(Object.keys(EVENT_SCHEMAS).map((k) => k.split(':')[0] as Channel))];

export interface EventProblem {
  path: string;
  message: string;
}

/**
 * An event the platform refused (`rejected: true`): counted, never billed. Its channel's fields are not
 * required — their absence (an e-mail with no recipient) may be the very reason it was refused — and the
 * ones it carries are kept as they came.
 */
export type RejectedEvent = { id: string; at: string; channel: Channel; type: string; rejected: true; blocked?: boolean } & Record<string, unknown>;

/** What a valid input line is: an event to bill, or one the platform refused. */
export type ParsedEvent = BillableEvent | RejectedEvent;

export type EventParse = { ok: true; event: ParsedEvent } | { ok: false; problems: EventProblem[] };

const rejectedSchema = z.looseObject({ ...base, channel: z.string(), type: z.string(), rejected: z.literal(true) });

const typesByChannel = new Map<string, string[]>();
for (const key of Object.keys(EVENT_SCHEMAS)) {
  const [c, t] = key.split(':') as [string, string];
  typesByChannel.set(c, [...(typesByChannel.get(c) ?? []), t]);
}

/** Parses one raw event; the channel and type pick the schema so errors name the right fields. */
export function parseEvent(raw: unknown): EventParse {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, problems: [{ path: '(root)', message: 'event must be a JSON object' }] };
  const { channel, type } = raw as { channel?: unknown; type?: unknown };
  if (typeof channel !== 'string' || !typesByChannel.has(channel)) {
    return {
      ok: false,
      problems: [
        { path: 'channel', message: `unknown channel ${JSON.stringify(channel)} (expected one of ${[...typesByChannel.keys()].join(', ')})` },
      ],
    };
  }
  const schema = (EVENT_SCHEMAS as Record<string, z.ZodType<BillableEvent>>)[`${channel}:${String(type)}`];
  if (!schema) {
    return {
      ok: false,
      problems: [
        {
          path: 'type',
          message: `unknown type ${JSON.stringify(type)} for channel ${channel} (expected ${typesByChannel.get(channel)!.join(' | ')})`,
        },
      ],
    };
  }
  const r = (raw as { rejected?: unknown }).rejected === true ? rejectedSchema.safeParse(raw) : schema.safeParse(raw);
  if (r.success) return { ok: true, event: r.data as ParsedEvent };
  return { ok: false, problems: r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })) };
}

export class EventValidationError extends Error {
  constructor(readonly problems: Array<EventProblem & { index: number; id?: string }>) {
    super(
      `invalid events:\n${problems
        .slice(0, 20)
        .map((p) => `  #${p.index}${p.id ? ` (${p.id})` : ''} ${p.path}: ${p.message}`)
        .join('\n')}${problems.length > 20 ? `\n  … ${problems.length - 20} more` : ''}`,
    );
    this.name = 'EventValidationError';
  }
}

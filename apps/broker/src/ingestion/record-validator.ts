import type { z } from 'zod';
import {
  locationRecordSchema,
  sessionRecordSchema,
  statusRecordSchema,
  type TelemetryEnvelope,
  KIND_OF_CHANNEL,
  type UpChannel,
} from '@simfleet/domain';

export interface RecordProblem {
  code:
    | 'malformed_json'
    | 'invalid_record'
    | 'timestamp_in_future'
    | 'timestamp_too_old'
    | 'too_many_records'
    | 'topic_not_allowed'
    | 'payload_too_large'
    | 'rate_limited'
    | 'subscription_not_allowed';
  message: string;
  /** Position of the record in an array payload. */
  index?: number;
  /** The refused record's session id (a session record that has one), so the device knows what to resend. */
  sessionId?: string;
  /** The session ids a refused message held (a whole message refused, e.g. rate_limited). */
  sessionIds?: string[];
}

/** The session id of a record, when it carries one (even a record that is otherwise invalid). */
export const sessionIdOf = (item: unknown): string | undefined =>
  item !== null && typeof item === 'object' && typeof (item as { sessionId?: unknown }).sessionId === 'string'
    ? (item as { sessionId: string }).sessionId
    : undefined;

const SCHEMAS: Record<UpChannel, z.ZodType> = {
  sessions: sessionRecordSchema,
  location: locationRecordSchema,
  status: statusRecordSchema,
};

/** The session ids of a whole message's records (none outside the sessions channel). */
export function sessionIdsOf(channel: UpChannel, items: unknown[]): { sessionIds?: string[] } {
  if (channel !== 'sessions') return {};
  const ids = items.map(sessionIdOf).filter((id): id is string => id !== undefined);
  return ids.length ? { sessionIds: ids } : {};
}

/** Device clocks drift: a record may be this far ahead of ours. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
export const MAX_RECORDS_PER_MESSAGE = 1_000;

/**
 * Validates an MQTT payload: one JSON record or an array of them (a device flushing its buffer). Each
 * record stands alone: a bad one is reported with its index and never affects the others.
 */
export class RecordValidator {
  constructor(private readonly retentionDays: number) {}

  validate(
    identity: { iccid: string; accountId: string },
    channel: UpChannel,
    payload: Buffer,
    now: Date,
  ): { envelopes: TelemetryEnvelope[]; problems: RecordProblem[]; array: boolean } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch (error) {
      return { envelopes: [], problems: [{ code: 'malformed_json', message: `payload is not JSON: ${(error as Error).message}` }], array: false };
    }
    const batch = Array.isArray(parsed);
    const items = batch ? (parsed as unknown[]) : [parsed];
    if (items.length > MAX_RECORDS_PER_MESSAGE) {
      return {
        envelopes: [],
        problems: [
          {
            code: 'too_many_records',
            message: `at most ${MAX_RECORDS_PER_MESSAGE} records per message; got ${items.length}`,
            ...sessionIdsOf(channel, items),
          },
        ],
        array: true,
      };
    }
    const kind = KIND_OF_CHANNEL[channel];
    const receivedAt = now.toISOString();
    const oldest = now.getTime() - this.retentionDays * 86_400_000;
    const envelopes: TelemetryEnvelope[] = [];
    const problems: RecordProblem[] = [];
    items.forEach((item, i) => {
      const index = batch ? i : undefined;
      const sessionId = channel === 'sessions' ? sessionIdOf(item) : undefined;
      const named = sessionId === undefined ? {} : { sessionId };
      const result = SCHEMAS[channel].safeParse(item);
      if (!result.success) {
        const detail = result.error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`).join('; ');
        problems.push({ code: 'invalid_record', message: detail, index, ...named });
        return;
      }
      const record = result.data as { at?: string; startedAt?: string; endedAt?: string | null };
      const times = [record.at, record.startedAt, record.endedAt].filter((t): t is string => typeof t === 'string').map((t) => Date.parse(t));
      if (times.some((t) => t > now.getTime() + MAX_CLOCK_SKEW_MS)) {
        problems.push({
          code: 'timestamp_in_future',
          message: `a timestamp is more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead of the platform's clock`,
          index,
          ...named,
        });
        return;
      }
      if (times.some((t) => t < oldest)) {
        problems.push({ code: 'timestamp_too_old', message: `a timestamp is older than the ${this.retentionDays}-day retention`, index, ...named });
        return;
      }
      envelopes.push({ kind, accountId: identity.accountId, iccid: identity.iccid, receivedAt, record: result.data } as TelemetryEnvelope);
    });
    return { envelopes, problems, array: batch };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { parseEvent } from '@simfleet/billing';
import { Clock, DomainError, ErrorCode } from '@simfleet/domain';
import { Database, UsageEventRepository, type NewUsageEvent, type StoredUsageEvent, type UsageEventFilter } from '@simfleet/persistence';

export const MAX_USAGE_EVENTS_PER_REQUEST = 10_000;

/** A line of an NDJSON body that is not JSON: reported at its index like any invalid event. */
export class UnparsableLine {
  constructor(readonly message: string) {}
}

export interface RejectedUsageEvent {
  index: number;
  id?: string;
  errors: Array<{ field: string; message: string }>;
}

export interface UsageEventsResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedUsageEvent[];
}

/** Usage events of the other channels (docs/billing.md, "Usage events"). */
@Injectable()
export class UsageEventsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(UsageEventRepository) private readonly events: UsageEventRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * Validates each event with the billing library and stores the valid ones; invalid events are reported
   * one by one. An id already used by the account (earlier, or earlier in this batch) is a duplicate: the
   * first stored event stands.
   */
  async record(accountId: string, items: readonly unknown[]): Promise<UsageEventsResult> {
    if (items.length > MAX_USAGE_EVENTS_PER_REQUEST) {
      throw new DomainError(
        ErrorCode.PayloadTooLarge,
        `At most ${MAX_USAGE_EVENTS_PER_REQUEST} events per request, got ${items.length}: split the batch`,
        {
          limit: MAX_USAGE_EVENTS_PER_REQUEST,
          received: items.length,
        },
      );
    }
    const rejected: RejectedUsageEvent[] = [];
    const valid = new Map<string, NewUsageEvent>();
    let duplicates = 0;
    items.forEach((raw, index) => {
      if (raw instanceof UnparsableLine) {
        rejected.push({ index, errors: [{ field: '(line)', message: raw.message }] });
        return;
      }
      const parsed = parseEvent(raw);
      if (!parsed.ok) {
        const id =
          typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
        rejected.push({
          index,
          ...(id !== undefined ? { id } : {}),
          errors: parsed.problems.map((p) => ({ field: p.path || '(event)', message: p.message })),
        });
        return;
      }
      const event = parsed.event;
      if (valid.has(event.id)) {
        duplicates++;
        return;
      }
      valid.set(event.id, { id: event.id, channel: event.channel, type: event.type, at: new Date(Date.parse(event.at)).toISOString(), event });
    });
    const stored = await this.db.transaction((tx) => this.events.insertNew(tx, accountId, [...valid.values()], this.clock.now()));
    return { accepted: stored.size, duplicates: duplicates + valid.size - stored.size, rejected };
  }

  list(filter: UsageEventFilter): Promise<StoredUsageEvent[]> {
    return this.events.list(filter);
  }
}

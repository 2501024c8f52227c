import { Inject, Injectable } from '@nestjs/common';
import type { DomainEvent } from '../../../domain/src/events/domain-event.js';
import { Database, type SqlExecutor } from '../database.js';

export interface EventRow {
  id: string;
  type: string;
  account_id: string | null;
  subject: string;
  occurred_at: Date;
  /** When the outbox row was written (its transaction's time). */
  recorded_at: Date;
  data: Record<string, unknown>;
  schema_version: number;
}

/** An event as the outbox holds it, with the time its row was written. */
export interface RecordedEvent extends DomainEvent {
  recordedAt: Date;
}

export const toRecordedEvent = (r: EventRow): RecordedEvent => ({
  id: r.id,
  type: r.type,
  accountId: r.account_id,
  subject: r.subject,
  occurredAt: r.occurred_at,
  recordedAt: r.recorded_at,
  data: r.data,
  schemaVersion: r.schema_version,
});

const toEvent = (r: EventRow): DomainEvent => {
  const { recordedAt: _recordedAt, ...event } = toRecordedEvent(r);
  return event;
};

/** The event outbox: appended in the transaction of the change that caused the event. */
@Injectable()
export class EventRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async append(tx: SqlExecutor, events: DomainEvent[]): Promise<void> {
    if (!events.length) return;
    await tx.query(
      `insert into events (id, type, account_id, subject, occurred_at, data, schema_version)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[], $7::int[])
       on conflict (id) do nothing`,
      [
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.accountId),
        events.map((e) => e.subject),
        events.map((e) => e.occurredAt.toISOString()),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => e.schemaVersion),
      ],
    );
  }

  async list(filter: { accountId: string; type?: string; subject?: string; since?: Date; after?: string; limit: number }): Promise<DomainEvent[]> {
    const typePattern = filter.type?.endsWith('.*') ? `${filter.type.slice(0, -1)}%` : filter.type;
    const rows = await this.db.query<EventRow>(
      `select * from events where account_id = $1
          and ($2::text is null or type like $2)
          and ($3::text is null or subject = $3)
          and ($4::timestamptz is null or occurred_at >= $4)
          and ($5::text is null or id > $5)
        order by id limit $6`,
      [filter.accountId, typePattern ?? null, filter.subject ?? null, filter.since ?? null, filter.after ?? null, filter.limit],
    );
    return rows.map(toEvent);
  }
}

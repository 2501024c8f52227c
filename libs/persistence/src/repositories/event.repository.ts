import { Inject, Injectable } from '@nestjs/common';
import type { DomainEvent } from '@simfleet/domain';
import { Database, jsonTextArray, type SqlExecutor } from '../database.js';

export interface EventRow {
  id: string;
  type: string;
  account_id: string | null;
  subject: string;
  occurred_at: Date;
  /** When the outbox row was written (its transaction's time). */
  recorded_at: Date;
  /** JSON text (migration 0010). */
  data: string;
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
  data: JSON.parse(r.data) as Record<string, unknown>,
  schemaVersion: r.schema_version,
});

const toEvent = (r: EventRow): DomainEvent => {
  const { recordedAt: _recordedAt, ...event } = toRecordedEvent(r);
  return event;
};

/**
 * The advisory lock that orders event appends against webhook registrations of an account: appends hold it
 * shared, registering (or re-enabling) an endpoint holds it exclusively. An append that saw no endpoint
 * therefore committed before the endpoint existed, and recorded its events before the endpoint's creation
 * time: the endpoint would not have received them anyway (docs/webhooks.md).
 */
export const webhookRegistrationLockKey = (accountParam: string) => `hashtextextended('simfleet:webhook-endpoints:' || ${accountParam}, 0)`;

/** The event outbox: appended in the transaction of the change that caused the event. */
@Injectable()
export class EventRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Must run in a transaction (the registration lock is held until it ends). An event of an account without
   * an enabled webhook endpoint is written already dispatched: the dispatcher would have nothing to do with
   * it, and telemetry appends events by the thousand per second.
   */
  async append(tx: SqlExecutor, events: DomainEvent[]): Promise<void> {
    if (!events.length) return;
    const accounts = [...new Set(events.map((e) => e.accountId).filter((a): a is string => a !== null))].sort();
    // A statement of its own: the insert's snapshot must be taken after the lock is granted.
    if (accounts.length)
      await tx.query(`select pg_advisory_xact_lock_shared(${webhookRegistrationLockKey('a')}) from unnest($1::text[]) as a`, [accounts]);
    await tx.query(
      `insert into events (id, type, account_id, subject, occurred_at, data, schema_version, dispatched_at)
       select t.*,
              -- An uncorrelated IN: looked up once per statement (a hashed subplan), not once per event.
              case when t.account_id in (select w.account_id from webhook_endpoints w where w.enabled and w.account_id = any($8::text[])) then null else now() end
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::int[]) as t(id, type, account_id, subject, occurred_at, data, schema_version)
       on conflict (id) do nothing`,
      [
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.accountId),
        events.map((e) => e.subject),
        events.map((e) => e.occurredAt.toISOString()),
        jsonTextArray(events.map((e) => e.data)),
        events.map((e) => e.schemaVersion),
        accounts,
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

import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../database.js';
import { toRecordedEvent, type EventRow, type RecordedEvent } from './event.repository.js';

/**
 * A place in the outbox in the order its rows become visible: the id of the transaction that wrote the
 * event, then the event id (migration 0070). `eventId: ''` stands before every event of that transaction.
 */
export interface StreamPosition {
  txId: string;
  eventId: string;
}

export interface StreamedEvent {
  event: RecordedEvent;
  position: StreamPosition;
}

export const comparePositions = (a: StreamPosition, b: StreamPosition): number => {
  const tx = BigInt(a.txId) - BigInt(b.txId);
  if (tx !== 0n) return tx < 0n ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
};

/** Reads the outbox for the live event stream (docs/events.md): by position, never past the horizon. */
@Injectable()
export class EventStreamRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * The oldest transaction still running: every row written by an older transaction is final (committed
   * or never will be), and every row still to come has a transaction id at or above it.
   */
  async horizon(): Promise<string> {
    const [row] = await this.db.query<{ horizon: string }>('select pg_snapshot_xmin(pg_current_snapshot())::text as horizon');
    return row.horizon;
  }

  /**
   * Events of `accountIds` after `after`, at or before `upTo` when given, written by transactions below
   * `horizon`, in position order, at most `limit`.
   */
  async read(accountIds: readonly string[], after: StreamPosition, horizon: string, limit: number, upTo?: StreamPosition): Promise<StreamedEvent[]> {
    const rows = await this.db.query<EventRow & { tx: string }>(
      `select e.*, e.tx_id::text as tx from events e
        where e.account_id = any($1::text[])
          and e.tx_id >= $2::xid8 and (e.tx_id, e.id) > ($2::xid8, $3::text)
          and e.tx_id < $4::xid8
          and ($5::xid8 is null or (e.tx_id, e.id) <= ($5::xid8, $6::text))
        order by e.tx_id, e.id limit $7`,
      [accountIds, after.txId, after.eventId, horizon, upTo?.txId ?? null, upTo?.eventId ?? '', limit],
    );
    return rows.map((row) => ({ event: toRecordedEvent(row), position: { txId: row.tx, eventId: row.id } }));
  }
}

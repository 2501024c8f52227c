import { Inject, Injectable } from '@nestjs/common';
import { Database, type SqlExecutor } from '../database.js';

export interface LedgerEntry {
  iccid: string;
  sessionId: string;
  accountId: string;
  startedAt: Date;
  endedAt: Date | null;
  bytesUp: number;
  bytesDown: number;
  mcc: string;
  mnc: string;
  country: string | null;
  network: string | null;
  rat: string;
  zone: string | null;
  /** Decimal string, unrounded: rounding happens once, on the invoice line. */
  amount: string | null;
  currency: string | null;
}

/** What the upsert found: whether the session is new, and the counters before this record. */
export interface LedgerUpsertResult {
  iccid: string;
  sessionId: string;
  /** The row after the upsert: a session keeps the start and network it was first seen with, and the highest counters. */
  stored: LedgerEntry;
  inserted: boolean;
  previousBytesUp: number | null;
  previousBytesDown: number | null;
  previousEndedAt: Date | null;
}

interface LedgerRow {
  iccid: string;
  session_id: string;
  account_id: string;
  started_at: Date;
  ended_at: Date | null;
  bytes_up: number;
  bytes_down: number;
  mcc: string;
  mnc: string;
  country: string | null;
  network: string | null;
  rat: string;
  zone: string | null;
  amount: string | null;
  currency: string | null;
}

const toEntry = (r: LedgerRow): LedgerEntry => ({
  iccid: r.iccid,
  sessionId: r.session_id,
  accountId: r.account_id,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  bytesUp: r.bytes_up,
  bytesDown: r.bytes_down,
  mcc: r.mcc,
  mnc: r.mnc,
  country: r.country,
  network: r.network,
  rat: r.rat,
  zone: r.zone,
  amount: r.amount,
  currency: r.currency,
});

/**
 * The usage ledger: one row per (SIM, session) with the latest cumulative counters. Counters only move
 * forward, so an interim update or a redelivered record never counts twice.
 */
@Injectable()
export class UsageLedgerRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** `recordedAt` (the platform clock's) marks the row changed: finalized invoices compare it with their cut-off. */
  async upsert(tx: SqlExecutor, entries: LedgerEntry[], recordedAt: Date): Promise<LedgerUpsertResult[]> {
    if (!entries.length) return [];
    // The CTE reads the previous counters in the same statement, so callers can tell started/updated/ended.
    // The rating written is the record's: a caller whose stored row (`stored`) differs from what it rated
    // (first network, higher counters) rates it again and calls setRatings in the same transaction.
    return (
      await tx.query<
        LedgerRow & {
          inserted: boolean;
          prev_up: number | null;
          prev_down: number | null;
          prev_ended: Date | null;
        }
      >(
        `with input as (
           select * from json_to_recordset($1::json)
             as t(iccid text, session_id text, account_id text, started_at timestamptz, ended_at timestamptz, bytes_up bigint, bytes_down bigint,
                  mcc text, mnc text, country text, network text, rat text, zone text, amount numeric, currency text)
         ), previous as (
           select l.iccid, l.session_id, l.bytes_up, l.bytes_down, l.ended_at from usage_ledger l join input i using (iccid, session_id)
         ), upserted as (
           insert into usage_ledger (iccid, session_id, account_id, started_at, ended_at, bytes_up, bytes_down, mcc, mnc, country, network, rat, zone, amount, currency, updated_at)
           select input.*, $2::timestamptz from input
           on conflict (iccid, session_id) do update set
             bytes_up = greatest(usage_ledger.bytes_up, excluded.bytes_up),
             bytes_down = greatest(usage_ledger.bytes_down, excluded.bytes_down),
             ended_at = coalesce(usage_ledger.ended_at, excluded.ended_at),
             zone = excluded.zone, amount = excluded.amount, currency = excluded.currency,
             updated_at = excluded.updated_at
           returning usage_ledger.iccid, usage_ledger.session_id, account_id, started_at, ended_at, bytes_up, bytes_down, mcc, mnc, country, network, rat, zone, amount, currency
         )
         select u.*, p.iccid is null as inserted, p.bytes_up as prev_up, p.bytes_down as prev_down, p.ended_at as prev_ended
           from upserted u left join previous p using (iccid, session_id)`,
        // One JSON document: json_to_recordset's fixed estimate (100 rows) keeps the `previous` join on the primary
        // key, where `unnest` of 1,000-element arrays let the plan turn to a scan as the ledger grew (measured).
        [
          JSON.stringify(
            entries.map((e) => ({
              iccid: e.iccid,
              session_id: e.sessionId,
              account_id: e.accountId,
              started_at: e.startedAt,
              ended_at: e.endedAt,
              bytes_up: e.bytesUp,
              bytes_down: e.bytesDown,
              mcc: e.mcc,
              mnc: e.mnc,
              country: e.country,
              network: e.network,
              rat: e.rat,
              zone: e.zone,
              amount: e.amount,
              currency: e.currency,
            })),
          ),
          recordedAt,
        ],
      )
    ).map((r) => ({
      iccid: r.iccid,
      sessionId: r.session_id,
      stored: toEntry(r),
      inserted: r.inserted,
      previousBytesUp: r.prev_up,
      previousBytesDown: r.prev_down,
      previousEndedAt: r.prev_ended,
    }));
  }

  /**
   * Sets the rated amount of sessions whose stored row differs from the record rated before the upsert
   * (a later record on another network, counters lower than stored): the ledger prices what it holds.
   */
  async setRatings(
    tx: SqlExecutor,
    ratings: Array<{ iccid: string; sessionId: string; zone: string | null; amount: string | null; currency: string | null }>,
  ): Promise<void> {
    if (!ratings.length) return;
    await tx.query(
      `update usage_ledger l set zone = r.zone, amount = r.amount, currency = r.currency
         from json_to_recordset($1::json) as r(iccid text, session_id text, zone text, amount numeric, currency text)
        where l.iccid = r.iccid and l.session_id = r.session_id`,
      [JSON.stringify(ratings.map((r) => ({ iccid: r.iccid, session_id: r.sessionId, zone: r.zone, amount: r.amount, currency: r.currency })))],
    );
  }
}

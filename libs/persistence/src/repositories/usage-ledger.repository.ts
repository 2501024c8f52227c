import { Inject, Injectable } from '@nestjs/common';
import { sessionKey, type DataSession } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

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
  updated_at: Date;
}

/** A ledger row as a data session. The ledger keeps no cell, IMEI or reception time: its last write stands for the latter. */
const toSession = (r: LedgerRow): DataSession => ({
  accountId: r.account_id,
  iccid: r.iccid,
  sessionId: r.session_id,
  startedAt: new Date(r.started_at),
  endedAt: r.ended_at ? new Date(r.ended_at) : null,
  bytesUp: r.bytes_up,
  bytesDown: r.bytes_down,
  mcc: r.mcc,
  mnc: r.mnc,
  network: r.network,
  country: r.country,
  rat: r.rat,
  cellId: null,
  imei: null,
  receivedAt: new Date(r.updated_at),
  rating: r.zone !== null && r.amount !== null && r.currency !== null ? { zone: r.zone, amount: r.amount, currency: r.currency } : null,
});

/**
 * The usage ledger: one row per (SIM, session) with the session's latest cumulative counters and its
 * rating, the system of record of data usage (invoices, data-limit rules, diagnostics).
 */
@Injectable()
export class UsageLedgerRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * The stored versions of these sessions, their rows locked until the transaction ends: the caller folds
   * its records into them, rates the result once, and saves it. Rows are locked in key order, as the
   * caller's sorted inserts are, so that concurrent batches never deadlock on them.
   */
  async lockSessions(tx: SqlExecutor, keys: ReadonlyArray<Pick<DataSession, 'iccid' | 'sessionId'>>): Promise<Map<string, DataSession>> {
    if (!keys.length) return new Map();
    // One JSON document: json_to_recordset's fixed estimate (100 rows) keeps the join on the primary key, where
    // `unnest` of 1,000-element arrays let the plan turn to a scan as the ledger grew (measured).
    const rows = await tx.query<LedgerRow>(
      `select l.iccid, l.session_id, l.account_id, l.started_at, l.ended_at, l.bytes_up, l.bytes_down, l.mcc, l.mnc, l.country, l.network,
              l.rat, l.zone, l.amount, l.currency, l.updated_at
         from json_to_recordset($1::json) as k(iccid text, session_id text)
         join usage_ledger l on l.iccid = k.iccid and l.session_id = k.session_id
        order by l.iccid, l.session_id
          for update of l`,
      [JSON.stringify(keys.map((k) => ({ iccid: k.iccid, session_id: k.sessionId })))],
    );
    return new Map(rows.map((r) => [sessionKey({ iccid: r.iccid, sessionId: r.session_id }), toSession(r)]));
  }

  /**
   * Writes sessions as the caller folded and rated them (their rows locked by `lockSessions`, or new).
   * `recordedAt` (the platform clock's) marks the rows changed: finalized invoices compare it with their cut-off.
   */
  async save(tx: SqlExecutor, sessions: readonly DataSession[], recordedAt: Date): Promise<void> {
    if (!sessions.length) return;
    await tx.query(
      `insert into usage_ledger (iccid, session_id, account_id, started_at, ended_at, bytes_up, bytes_down, mcc, mnc, country, network, rat,
                                 zone, amount, currency, updated_at)
       select s.*, $2::timestamptz from json_to_recordset($1::json)
           as s(iccid text, session_id text, account_id text, started_at timestamptz, ended_at timestamptz, bytes_up bigint, bytes_down bigint,
                mcc text, mnc text, country text, network text, rat text, zone text, amount numeric, currency text)
       on conflict (iccid, session_id) do update set
         ended_at = excluded.ended_at, bytes_up = excluded.bytes_up, bytes_down = excluded.bytes_down,
         zone = excluded.zone, amount = excluded.amount, currency = excluded.currency, updated_at = excluded.updated_at`,
      [
        JSON.stringify(
          sessions.map((s) => ({
            iccid: s.iccid,
            session_id: s.sessionId,
            account_id: s.accountId,
            started_at: s.startedAt,
            ended_at: s.endedAt,
            bytes_up: s.bytesUp,
            bytes_down: s.bytesDown,
            mcc: s.mcc,
            mnc: s.mnc,
            country: s.country,
            network: s.network,
            rat: s.rat,
            zone: s.rating?.zone ?? null,
            amount: s.rating?.amount ?? null,
            currency: s.rating?.currency ?? null,
          })),
        ),
        recordedAt,
      ],
    );
  }
}

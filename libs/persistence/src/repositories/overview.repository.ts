import { Inject, Injectable } from '@nestjs/common';
import type { SimListFilter } from '@simfleet/domain';
import { Database } from '../database.js';
import { filterConditions } from './sim-fleet.repository.js';

export interface LedgerSessionRow {
  sessionId: string;
  startedAt: Date;
  /** The start time as the database prints it (microseconds kept): the keyset cursor resumes exactly. */
  startedKey: string;
  endedAt: Date | null;
  bytesUp: number;
  bytesDown: number;
  mcc: string;
  mnc: string;
  network: string | null;
  country: string | null;
  rat: string;
  updatedAt: Date;
}

/** Fleet-wide figures of the console's overview that no other resource counts (migration 0071 indexes them). */
@Injectable()
export class OverviewRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** SIMs that may connect (active, unblocked) and hold an open MQTT connection now. */
  async onlineSims(accountId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `select count(distinct c.iccid)::bigint as n
         from sim_connections c join sims s on s.iccid = c.iccid
        where c.account_id = $1 and c.disconnected_at is null and s.account_id = $1 and s.status = 'active' and cardinality(s.blocks) = 0`,
      [accountId],
    );
    return Number(row.n);
  }

  /** How many of the account's SIMs a list filter matches (the SIMs page's "N SIMs match" and bulk confirmation). */
  async countSims(accountId: string, filter: SimListFilter): Promise<number> {
    const params: unknown[] = [accountId];
    const where = ['account_id = $1', ...filterConditions(filter, params)];
    const [row] = await this.db.query<{ n: number }>(`select count(*)::bigint as n from sims where ${where.join(' and ')}`, params);
    return Number(row.n);
  }

  /** A SIM's data sessions from the usage ledger, newest first, before `before` (start time, session id). */
  async sessions(iccid: string, limit: number, before?: { startedAt: string; sessionId: string }): Promise<LedgerSessionRow[]> {
    const rows = await this.db.query<{
      session_id: string;
      started_at: Date;
      started_key: string;
      ended_at: Date | null;
      bytes_up: number;
      bytes_down: number;
      mcc: string;
      mnc: string;
      network: string | null;
      country: string | null;
      rat: string;
      updated_at: Date;
    }>(
      `select session_id, started_at, started_at::text as started_key, ended_at, bytes_up, bytes_down, mcc, mnc, network, country, rat, updated_at
         from usage_ledger where iccid = $1
          and ($2::timestamptz is null or (started_at, session_id) < ($2::timestamptz, $3::text))
        order by started_at desc, session_id desc limit $4`,
      [iccid, before?.startedAt ?? null, before?.sessionId ?? '', limit],
    );
    return rows.map((r) => ({
      sessionId: r.session_id,
      startedAt: r.started_at,
      startedKey: r.started_key,
      endedAt: r.ended_at,
      bytesUp: Number(r.bytes_up),
      bytesDown: Number(r.bytes_down),
      mcc: r.mcc,
      mnc: r.mnc,
      network: r.network,
      country: r.country,
      rat: r.rat,
      updatedAt: r.updated_at,
    }));
  }

  /** Open (active or acknowledged) alerts per rule type and severity. */
  async openAlerts(accountId: string): Promise<Array<{ type: string; severity: string; count: number }>> {
    const rows = await this.db.query<{ type: string; severity: string; n: number }>(
      `select type, severity, count(*)::bigint as n from alerts
        where account_id = $1 and status <> 'resolved' group by type, severity order by type, severity`,
      [accountId],
    );
    return rows.map((r) => ({ type: r.type, severity: r.severity, count: Number(r.n) }));
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { DataSession } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

/** Usage of one SIM group (or of the SIMs in none), from the usage ledger. */
export interface GroupUsageRow {
  groupId: string | null;
  groupName: string | null;
  bytesUp: number;
  bytesDown: number;
  sessions: number;
  sims: number;
}

/** A ledger session as diagnostics show it, with when the ledger last changed it. */
export type LedgerSession = Pick<
  DataSession,
  'sessionId' | 'startedAt' | 'endedAt' | 'bytesUp' | 'bytesDown' | 'mcc' | 'mnc' | 'network' | 'country' | 'rat'
> & { updatedAt: Date };

export interface IngestionErrorRow {
  at: Date;
  topic: string;
  code: string;
  message: string;
  index: number | null;
}

interface LedgerSessionRow {
  session_id: string;
  started_at: Date;
  ended_at: Date | null;
  bytes_up: number;
  bytes_down: number;
  mcc: string;
  mnc: string;
  network: string | null;
  country: string | null;
  rat: string;
  updated_at: Date;
}

const toLedgerSession = (r: LedgerSessionRow): LedgerSession => ({
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
  updatedAt: new Date(r.updated_at),
});

/** Read models of the telemetry queries (reports, diagnostics) and the per-SIM ingestion error log. */
@Injectable()
export class TelemetryQueriesRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Usage per SIM group, sessions started in [from, to). Group membership lives only in the system of
   * record, so this joins the ledger to the SIMs' current group (a SIM moved between groups reports
   * all its sessions under the group it is in now).
   */
  async usageByGroup(accountId: string, from: Date, to: Date): Promise<GroupUsageRow[]> {
    const rows = await this.db.query<{
      group_id: string | null;
      group_name: string | null;
      bytes_up: number;
      bytes_down: number;
      sessions: number;
      sims: number;
    }>(
      `select s.group_id, g.name as group_name,
              sum(l.bytes_up)::bigint as bytes_up, sum(l.bytes_down)::bigint as bytes_down,
              count(*)::bigint as sessions, count(distinct l.iccid)::bigint as sims
         from usage_ledger l
         join sims s on s.iccid = l.iccid
         left join sim_groups g on g.id = s.group_id
        where l.account_id = $1 and l.started_at >= $2 and l.started_at < $3
        group by s.group_id, g.name`,
      [accountId, from.toISOString(), to.toISOString()],
    );
    return rows.map((r) => ({
      groupId: r.group_id,
      groupName: r.group_name,
      bytesUp: r.bytes_up,
      bytesDown: r.bytes_down,
      sessions: r.sessions,
      sims: r.sims,
    }));
  }

  /** Names of an account's SIMs, for report labels. */
  async simNames(accountId: string, iccids: string[]): Promise<Map<string, string | null>> {
    if (!iccids.length) return new Map();
    const rows = await this.db.query<{ iccid: string; name: string | null }>(
      'select iccid, name from sims where account_id = $1 and iccid = any($2::text[])',
      [accountId, iccids],
    );
    return new Map(rows.map((r) => [r.iccid, r.name]));
  }

  /** The SIM's open session (newest without an end) and its latest session, from the ledger. */
  async openAndLastSession(iccid: string): Promise<{ open: LedgerSession | null; last: LedgerSession | null }> {
    const columns = 'session_id, started_at, ended_at, bytes_up, bytes_down, mcc, mnc, network, country, rat, updated_at';
    const [open] = await this.db.query<LedgerSessionRow>(
      `select ${columns} from usage_ledger where iccid = $1 and ended_at is null order by started_at desc limit 1`,
      [iccid],
    );
    const [last] = await this.db.query<LedgerSessionRow>(`select ${columns} from usage_ledger where iccid = $1 order by started_at desc limit 1`, [
      iccid,
    ]);
    return { open: open ? toLedgerSession(open) : null, last: last ? toLedgerSession(last) : null };
  }

  /** Appends errors of one refused publish and keeps only the newest `keep` of the SIM. */
  async appendIngestionErrors(
    iccid: string,
    topic: string,
    at: Date,
    problems: Array<{ code: string; message: string; index?: number }>,
    keep: number,
  ): Promise<void> {
    if (!problems.length) return;
    await this.db.transaction(async (tx: SqlExecutor) => {
      await tx.query(
        `insert into ingestion_errors (iccid, at, topic, code, message, record_index)
         select $1, $2, $3, t.code, t.message, t.idx from unnest($4::text[], $5::text[], $6::int[]) as t(code, message, idx)`,
        [
          iccid,
          at.toISOString(),
          topic,
          problems.map((p) => p.code),
          problems.map((p) => p.message.slice(0, 2000)),
          problems.map((p) => p.index ?? null),
        ],
      );
      await tx.query(
        `delete from ingestion_errors where iccid = $1 and id < (select min(id) from (select id from ingestion_errors where iccid = $1 order by id desc limit $2) newest)`,
        [iccid, keep],
      );
    });
  }

  async recentIngestionErrors(iccid: string, limit: number): Promise<IngestionErrorRow[]> {
    const rows = await this.db.query<{ at: Date; topic: string; code: string; message: string; record_index: number | null }>(
      'select at, topic, code, message, record_index from ingestion_errors where iccid = $1 order by id desc limit $2',
      [iccid, limit],
    );
    return rows.map((r) => ({ at: new Date(r.at), topic: r.topic, code: r.code, message: r.message, index: r.record_index }));
  }
}

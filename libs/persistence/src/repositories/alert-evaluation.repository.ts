import { Inject, Injectable } from '@nestjs/common';
import { sessionKey, type Baseline, type SimBlock, type SimStatus } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

/** What the rules need to know of a SIM, with its effective policy (its own override, else its group's). */
export interface SimFacts {
  iccid: string;
  accountId: string;
  status: SimStatus;
  blocks: SimBlock[];
  groupId: string | null;
  tags: Record<string, string>;
  authorizedImeis: string[];
  imei: string | null;
  lastLocation: { lat: number; lon: number; accuracyM: number | null; at: Date } | null;
  monthlyLimit: { bytes: number; source: 'sim' | 'group' } | null;
  allowedCountries: { countries: string[]; source: 'sim' | 'group' } | null;
}

export interface StoredBaselines {
  iccid: string;
  session: Baseline;
  day: Baseline;
  /** The UTC day (YYYY-MM-DD) whose traffic is not yet folded into the day baseline. */
  currentDay: string | null;
}

interface SimFactsRow {
  iccid: string;
  account_id: string;
  status: SimStatus;
  blocks: SimBlock[];
  group_id: string | null;
  tags: Record<string, string>;
  authorized_imeis: string[];
  imei: string | null;
  last_lat: number | null;
  last_lon: number | null;
  last_location_accuracy_m: number | null;
  last_location_at: Date | null;
  sim_limit: number | null;
  group_limit: number | null;
  sim_countries: string[] | null;
  group_countries: string[] | null;
}

const toFacts = (r: SimFactsRow): SimFacts => ({
  iccid: r.iccid,
  accountId: r.account_id,
  status: r.status,
  blocks: r.blocks,
  groupId: r.group_id,
  tags: r.tags,
  authorizedImeis: r.authorized_imeis,
  imei: r.imei,
  lastLocation:
    r.last_lat !== null && r.last_lon !== null && r.last_location_at
      ? { lat: r.last_lat, lon: r.last_lon, accuracyM: r.last_location_accuracy_m, at: r.last_location_at }
      : null,
  monthlyLimit:
    r.sim_limit !== null
      ? { bytes: Number(r.sim_limit), source: 'sim' }
      : r.group_limit !== null
        ? { bytes: Number(r.group_limit), source: 'group' }
        : null,
  allowedCountries:
    r.sim_countries !== null
      ? { countries: r.sim_countries, source: 'sim' }
      : r.group_countries !== null
        ? { countries: r.group_countries, source: 'group' }
        : null,
});

const SIM_FACTS = `select s.iccid, s.account_id, s.status, s.blocks, s.group_id, s.tags, s.authorized_imeis, s.imei,
        s.last_lat, s.last_lon, s.last_location_accuracy_m, s.last_location_at,
        s.data_limit_bytes as sim_limit, g.monthly_data_limit_bytes as group_limit,
        s.allowed_countries as sim_countries, g.allowed_countries as group_countries
   from sims s left join sim_groups g on g.id = s.group_id`;

/** Reads and writes of the alert rules' evaluation state, all in the system of record. */
@Injectable()
export class AlertEvaluationRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * SIM facts before the batch's own SIM update, the SIM rows locked (in ICCID order) until the batch
   * commits: two batches of one SIM are then evaluated one after the other, the second seeing the
   * first's IMEI and location.
   */
  async lockSimFacts(tx: SqlExecutor, iccids: string[]): Promise<SimFacts[]> {
    if (!iccids.length) return [];
    return (await tx.query<SimFactsRow>(`${SIM_FACTS} where s.iccid = any($1::text[]) order by s.iccid for update of s`, [iccids])).map(toFacts);
  }

  /** Bytes (up + down) of the sessions each SIM started in [from, to): the data-limit attribution rule. */
  async usageSince(tx: SqlExecutor, iccids: string[], from: Date, to: Date): Promise<Map<string, number>> {
    if (!iccids.length) return new Map();
    const rows = await tx.query<{ iccid: string; bytes: number | string }>(
      `select iccid, coalesce(sum(bytes_up + bytes_down), 0)::bigint as bytes from usage_ledger
        where iccid = any($1::text[]) and started_at >= $2 and started_at < $3 group by iccid`,
      [iccids, from, to],
    );
    return new Map(rows.map((r) => [r.iccid, Number(r.bytes)]));
  }

  /** Locks (creating if needed) the baselines of SIMs, in ICCID order so concurrent batches never deadlock. */
  async lockBaselines(tx: SqlExecutor, sims: Array<{ iccid: string; accountId: string }>): Promise<Map<string, StoredBaselines>> {
    if (!sims.length) return new Map();
    const sorted = [...sims].sort((a, b) => a.iccid.localeCompare(b.iccid));
    await tx.query(
      `insert into sim_usage_baselines (iccid, account_id) select * from unnest($1::text[], $2::text[]) on conflict (iccid) do nothing`,
      [sorted.map((s) => s.iccid), sorted.map((s) => s.accountId)],
    );
    const rows = await tx.query<{
      iccid: string;
      session_mean: number | null;
      session_samples: number;
      day_mean: number | null;
      day_samples: number;
      current_day: Date | string | null;
    }>(
      `select iccid, session_mean, session_samples, day_mean, day_samples, current_day from sim_usage_baselines where iccid = any($1::text[]) order by iccid for update`,
      [sorted.map((s) => s.iccid)],
    );
    return new Map(
      rows.map((r) => [
        r.iccid,
        {
          iccid: r.iccid,
          session: { mean: r.session_mean, samples: Number(r.session_samples) },
          day: { mean: r.day_mean, samples: Number(r.day_samples) },
          currentDay:
            r.current_day === null ? null : typeof r.current_day === 'string' ? r.current_day.slice(0, 10) : r.current_day.toISOString().slice(0, 10),
        },
      ]),
    );
  }

  async saveBaselines(tx: SqlExecutor, baselines: readonly StoredBaselines[], at: Date): Promise<void> {
    if (!baselines.length) return;
    await tx.query(
      `update sim_usage_baselines b set session_mean = v.session_mean, session_samples = v.session_samples, day_mean = v.day_mean,
              day_samples = v.day_samples, current_day = v.current_day, updated_at = $2
         from json_to_recordset($1::json)
           as v(iccid text, session_mean float8, session_samples int, day_mean float8, day_samples int, current_day date)
        where b.iccid = v.iccid`,
      [
        JSON.stringify(
          baselines.map((b) => ({
            iccid: b.iccid,
            session_mean: b.session.mean,
            session_samples: b.session.samples,
            day_mean: b.day.mean,
            day_samples: b.day.samples,
            current_day: b.currentDay,
          })),
        ),
        at,
      ],
    );
  }

  /** Bytes (up + down) of the sessions each SIM started in its own window [from, to). */
  async usageIn(tx: SqlExecutor, windows: ReadonlyArray<{ iccid: string; from: Date; to: Date }>): Promise<Map<string, number>> {
    if (!windows.length) return new Map();
    const rows = await tx.query<{ iccid: string; bytes: number | string }>(
      `select w.iccid, coalesce(sum(l.bytes_up + l.bytes_down), 0)::bigint as bytes
         from json_to_recordset($1::json) as w(iccid text, from_at timestamptz, to_at timestamptz)
         left join usage_ledger l on l.iccid = w.iccid and l.started_at >= w.from_at and l.started_at < w.to_at
        group by w.iccid`,
      [JSON.stringify(windows.map((w) => ({ iccid: w.iccid, from_at: w.from, to_at: w.to })))],
    );
    return new Map(rows.map((r) => [r.iccid, Number(r.bytes)]));
  }

  /**
   * For sessions just stored: whether their SIM had another session with a known country, and one in the
   * session's country (a new_country rule without an allowed list). Keyed like `sessionKey`.
   */
  async sessionHistory(
    tx: SqlExecutor,
    sessions: ReadonlyArray<{ iccid: string; sessionId: string; country: string }>,
  ): Promise<Map<string, { hadOther: boolean; countrySeen: boolean }>> {
    if (!sessions.length) return new Map();
    const rows = await tx.query<{ iccid: string; session_id: string; had_other: boolean; country_seen: boolean }>(
      `select s.iccid, s.session_id,
              exists (select 1 from usage_ledger l where l.iccid = s.iccid and l.session_id <> s.session_id and l.country is not null) as had_other,
              exists (select 1 from usage_ledger l where l.iccid = s.iccid and l.session_id <> s.session_id and l.country = s.country) as country_seen
         from json_to_recordset($1::json) as s(iccid text, session_id text, country text)`,
      [JSON.stringify(sessions.map((s) => ({ iccid: s.iccid, session_id: s.sessionId, country: s.country })))],
    );
    return new Map(
      rows.map((r) => [sessionKey({ iccid: r.iccid, sessionId: r.session_id }), { hadOther: r.had_other, countrySeen: r.country_seen }]),
    );
  }

  /** SIM facts of an account's SIMs (scan), optionally only some. */
  async accountSims(tx: SqlExecutor, accountId: string, iccids?: string[]): Promise<SimFacts[]> {
    return (
      await tx.query<SimFactsRow>(`${SIM_FACTS} where s.account_id = $1 and ($2::text[] is null or s.iccid = any($2::text[]))`, [
        accountId,
        iccids ?? null,
      ])
    ).map(toFacts);
  }

  /**
   * `sim.connected` events per SIM of an account since an instant, above a bound. Event ids are ULIDs of
   * the event time, so the id range keeps the scan on the (account_id, id) index.
   */
  async connectsSince(accountId: string, sinceId: string, since: Date, above: number): Promise<Array<{ iccid: string; connects: number }>> {
    const rows = await this.db.query<{ subject: string; n: number | string }>(
      `select subject, count(*)::bigint as n from events
        where account_id = $1 and id >= $2 and type = 'sim.connected' and occurred_at >= $3
        group by subject having count(*) > $4`,
      [accountId, sinceId, since, above],
    );
    return rows.map((r) => ({ iccid: r.subject, connects: Number(r.n) }));
  }

  /**
   * Active SIMs of an account not heard from since `before` (last record of any kind; never-seen SIMs
   * count from their first activation).
   */
  async silentSims(accountId: string, before: Date): Promise<Array<{ iccid: string; lastSeenAt: Date | null; since: Date }>> {
    const rows = await this.db.query<{ iccid: string; last_seen_at: Date | null; since: Date }>(
      `select iccid, last_seen_at, coalesce(last_seen_at, first_activated_at) as since from sims
        where account_id = $1 and status = 'active' and coalesce(last_seen_at, first_activated_at) < $2`,
      [accountId, before],
    );
    return rows.map((r) => ({ iccid: r.iccid, lastSeenAt: r.last_seen_at, since: r.since }));
  }

  /** Last time each SIM was heard from (clearing silent alerts). */
  async lastSeen(tx: SqlExecutor, iccids: string[]): Promise<Map<string, Date | null>> {
    if (!iccids.length) return new Map();
    const rows = await tx.query<{ iccid: string; last_seen_at: Date | null }>('select iccid, last_seen_at from sims where iccid = any($1::text[])', [
      iccids,
    ]);
    return new Map(rows.map((r) => [r.iccid, r.last_seen_at]));
  }
}

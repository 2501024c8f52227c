import { Inject, Injectable } from '@nestjs/common';
import { Database, type SqlExecutor } from '../database.js';

/** Bits per presence segment (migration 0052). */
const SEGMENT = 4096;

/** The keys distinct SIMs are counted under (migration 0052). */
export type UsageDimension = 'sim' | 'network' | 'network_rat' | 'country' | 'rat';

/** A session's keys: the whole fleet, its network (MCC-MNC), network and RAT, country ('' unknown), RAT. */
export const usageKeys = (s: { mcc: string; mnc: string; rat: string; country: string | null }): Array<[UsageDimension, string]> => [
  ['sim', ''],
  ['network', `${s.mcc}-${s.mnc}`],
  ['network_rat', `${s.mcc}-${s.mnc}|${s.rat}`],
  ['country', s.country ?? ''],
  ['rat', s.rat],
];

/** Bytes and sessions of a network key over a range of days (null: unknown). */
export interface NetworkDayTotals {
  mcc: string;
  mnc: string;
  network: string | null;
  country: string | null;
  rat: string;
  bytesUp: number;
  bytesDown: number;
  sessions: number;
}

export interface GroupDayTotals {
  groupId: string | null;
  groupName: string | null;
  bytesUp: number;
  bytesDown: number;
  sessions: number;
}

/**
 * Ingestion appends and group changes read this lock: ingestion holds it shared, a SIM changing group
 * holds it exclusively while it moves the SIM's usage (so no session lands in the old group after the
 * move), and so do a rebuild and a compaction against each other.
 */
const rollupLockKey = (accountParam: string) => `hashtextextended('simfleet:usage-rollups:' || ${accountParam}, 0)`;

const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/**
 * The usage rollups (migration 0052): written at ingestion from what the ledger upsert changed, moved
 * when a SIM changes group, compacted in the background, rebuilt from the ledger by a repair; read by
 * usage reports and network statistics over whole UTC days.
 */
@Injectable()
export class UsageRollupsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Marks the presence of the batch's new sessions (those the batch inserted into the ledger, by key): each
   * one puts its SIM on its day (UTC, event time) under each of its keys, as the ledger stored it (a batch
   * racing on the same new session may have stored it first, with its own start and network). Bytes and
   * sessions are the ledger triggers' work (migration 0052). Setting a bit already set changes nothing, so a
   * redelivered or racing record is harmless. Must run in the ledger's transaction, after its upsert and
   * before any SIM row is locked: it takes the rollup lock shared.
   */
  async record(tx: SqlExecutor, inserted: ReadonlyArray<{ iccid: string; sessionId: string }>): Promise<void> {
    if (!inserted.length) return;
    const stored = await tx.query<{
      account_id: string;
      iccid: string;
      started_at: Date;
      mcc: string;
      mnc: string;
      country: string | null;
      rat: string;
    }>(
      `select l.account_id, l.iccid, l.started_at, l.mcc, l.mnc, l.country, l.rat
         from unnest($1::text[], $2::text[]) as k(iccid, session_id)
         join usage_ledger l on l.iccid = k.iccid and l.session_id = k.session_id`,
      [inserted.map((s) => s.iccid), inserted.map((s) => s.sessionId)],
    );
    if (!stored.length) return;
    const accounts = [...new Set(stored.map((r) => r.account_id))].sort();
    // One statement: the locks are granted before the statements below take their snapshots.
    await tx.query(`select pg_advisory_xact_lock_shared(${rollupLockKey('a')}) from unnest($1::text[]) with ordinality as t(a, n) order by n`, [
      accounts,
    ]);
    // Presence: a new session puts its SIM on its day under each of its keys (an update changes no key).
    const marks = new Map<string, { account: string; dimension: UsageDimension; key: string; iccid: string; day: string }>();
    for (const r of stored) {
      for (const [dimension, key] of usageKeys(r)) {
        const mark = { account: r.account_id, dimension, key, iccid: r.iccid, day: utcDay(r.started_at) };
        marks.set(JSON.stringify(mark), mark);
      }
    }
    const ordinals = await this.ordinals(tx, [...marks.values()]);
    const wanted = [...marks.values()].map((m) => ({ ...m, ordinal: ordinals.get(memberKey(m))! }));
    await tx.query(
      `with wanted as (
         select * from unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::int[]) as w(account_id, dimension, key, day, ordinal)
       ), missing as (
         select w.* from wanted w
           left join usage_presence p on p.account_id = w.account_id and p.dimension = w.dimension and p.key = w.key and p.day = w.day
                                     and p.segment = w.ordinal / ${SEGMENT}
          where p.bits is null or get_bit(p.bits, w.ordinal % ${SEGMENT}) = 0
       )
       insert into usage_presence (account_id, dimension, key, day, segment, bits)
       select account_id, dimension, key, day, ordinal / ${SEGMENT}, usage_bitmap(array_agg(ordinal % ${SEGMENT}))
         from missing group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
       on conflict (account_id, dimension, key, day, segment) do update set bits = usage_presence.bits | excluded.bits`,
      [
        wanted.map((w) => w.account),
        wanted.map((w) => w.dimension),
        wanted.map((w) => w.key),
        wanted.map((w) => w.day),
        wanted.map((w) => w.ordinal),
      ],
    );
  }

  /**
   * The ordinal of each (account, dimension, key, SIM), allocating the missing ones: a key's counter
   * hands out a range (its row is locked only then, in key order), and a SIM that a concurrent batch
   * gave an ordinal first keeps that one (the range's unused ordinal stays a hole: a bit never set).
   */
  private async ordinals(
    tx: SqlExecutor,
    members: ReadonlyArray<{ account: string; dimension: UsageDimension; key: string; iccid: string }>,
  ): Promise<Map<string, number>> {
    const distinct = [...new Map(members.map((m) => [memberKey(m), m])).values()];
    const lookup = (list: typeof distinct) =>
      tx.query<{ account_id: string; dimension: UsageDimension; key: string; iccid: string; ordinal: number }>(
        `select m.account_id, m.dimension, m.key, m.iccid, m.ordinal
           from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as w(account_id, dimension, key, iccid)
           join usage_members m on m.account_id = w.account_id and m.dimension = w.dimension and m.key = w.key and m.iccid = w.iccid`,
        [list.map((m) => m.account), list.map((m) => m.dimension), list.map((m) => m.key), list.map((m) => m.iccid)],
      );
    const found = new Map((await lookup(distinct)).map((r) => [memberKey({ account: r.account_id, ...r }), r.ordinal]));
    const missing = distinct.filter((m) => !found.has(memberKey(m))).sort((a, b) => (memberKey(a) < memberKey(b) ? -1 : 1));
    if (!missing.length) return found;

    const perKey = new Map<string, { account: string; dimension: UsageDimension; key: string; members: typeof missing }>();
    for (const m of missing) {
      const id = JSON.stringify([m.account, m.dimension, m.key]);
      const entry = perKey.get(id) ?? { account: m.account, dimension: m.dimension, key: m.key, members: [] };
      entry.members.push(m);
      perKey.set(id, entry);
    }
    const keys = [...perKey.values()];
    const allocated = await tx.query<{ account_id: string; dimension: string; key: string; members: number }>(
      `insert into usage_keys (account_id, dimension, key, members)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::int[]) as k(account_id, dimension, key, n) order by 1, 2, 3
       on conflict (account_id, dimension, key) do update set members = usage_keys.members + excluded.members
       returning account_id, dimension, key, members`,
      [keys.map((k) => k.account), keys.map((k) => k.dimension), keys.map((k) => k.key), keys.map((k) => k.members.length)],
    );
    const end = new Map(allocated.map((a) => [JSON.stringify([a.account_id, a.dimension, a.key]), a.members]));
    const assigned = keys.flatMap((k) => {
      const first = end.get(JSON.stringify([k.account, k.dimension, k.key]))! - k.members.length;
      return k.members.map((m, i) => ({ ...m, ordinal: first + i }));
    });
    const inserted = await tx.query<{ account_id: string; dimension: UsageDimension; key: string; iccid: string; ordinal: number }>(
      `insert into usage_members (account_id, dimension, key, iccid, ordinal)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[]) order by 1, 2, 3, 4
       on conflict do nothing returning account_id, dimension, key, iccid, ordinal`,
      [
        assigned.map((m) => m.account),
        assigned.map((m) => m.dimension),
        assigned.map((m) => m.key),
        assigned.map((m) => m.iccid),
        assigned.map((m) => m.ordinal),
      ],
    );
    // A SIM seen for the first time joins its group's members (by its fleet ordinal).
    const newSims = inserted.filter((m) => m.dimension === 'sim');
    if (newSims.length) {
      await tx.query(
        `insert into usage_group_members (account_id, group_id, segment, bits)
         select m.account_id, coalesce(s.group_id, ''), m.ordinal / ${SEGMENT}, usage_bitmap(array_agg(m.ordinal % ${SEGMENT}))
           from unnest($1::text[], $2::text[], $3::int[]) as m(account_id, iccid, ordinal)
           left join sims s on s.iccid = m.iccid
          group by 1, 2, 3 order by 1, 2, 3
         on conflict (account_id, group_id, segment) do update set bits = usage_group_members.bits | excluded.bits`,
        [newSims.map((m) => m.account_id), newSims.map((m) => m.iccid), newSims.map((m) => m.ordinal)],
      );
    }
    for (const r of inserted) found.set(memberKey({ account: r.account_id, ...r }), r.ordinal);
    const lost = missing.filter((m) => !found.has(memberKey(m)));
    if (lost.length) for (const r of await lookup(lost)) found.set(memberKey({ account: r.account_id, ...r }), r.ordinal);
    return found;
  }

  /**
   * Takes the account's rollup lock exclusively: before a SIM changes group, and before its row is
   * locked (ingestion holds the lock shared until it commits, and locks SIM rows after taking it).
   */
  async lockForGroupChange(tx: SqlExecutor, accountId: string): Promise<void> {
    await tx.query(`select pg_advisory_xact_lock(${rollupLockKey('$1::text')})`, [accountId]);
  }

  /** Moves a SIM's usage (its ledger sessions, per day) and its membership from one group to another (null: none). */
  async moveSimGroup(tx: SqlExecutor, accountId: string, iccid: string, from: string | null, to: string | null): Promise<void> {
    if (from === to) return;
    await tx.query(
      `insert into usage_daily_groups (account_id, day, group_id, bytes_up, bytes_down, sessions)
       select $1, d.day, g.group_id, g.sign * d.up, g.sign * d.down, g.sign * d.sessions
         from (select (started_at at time zone 'UTC')::date as day, sum(bytes_up) as up, sum(bytes_down) as down, count(*) as sessions
                 from usage_ledger where iccid = $2 and account_id = $1 group by 1) as d
        cross join (values ($3::text, -1), ($4::text, 1)) as g(group_id, sign)`,
      [accountId, iccid, from ?? '', to ?? ''],
    );
    const [member] = await tx.query<{ ordinal: number }>(
      `select ordinal from usage_members where account_id = $1 and dimension = 'sim' and key = '' and iccid = $2`,
      [accountId, iccid],
    );
    if (!member) return;
    await tx.query(`update usage_group_members set bits = set_bit(bits, $4, 0) where account_id = $1 and group_id = $2 and segment = $3`, [
      accountId,
      from ?? '',
      Math.floor(member.ordinal / SEGMENT),
      member.ordinal % SEGMENT,
    ]);
    await tx.query(
      `insert into usage_group_members (account_id, group_id, segment, bits) values ($1, $2, $3, usage_bitmap(array[$4::int]))
       on conflict (account_id, group_id, segment) do update set bits = usage_group_members.bits | excluded.bits`,
      [accountId, to ?? '', Math.floor(member.ordinal / SEGMENT), member.ordinal % SEGMENT],
    );
  }

  /** Bytes and sessions per network key over the days [fromDay, toDay) ('YYYY-MM-DD', UTC). */
  async networkTotals(accountId: string, fromDay: string, toDay: string): Promise<NetworkDayTotals[]> {
    const rows = await this.db.query<{
      mcc: string;
      mnc: string;
      network: string;
      country: string;
      rat: string;
      bytes_up: number;
      bytes_down: number;
      sessions: number;
    }>(
      `select mcc, mnc, network, country, rat, sum(bytes_up)::bigint as bytes_up, sum(bytes_down)::bigint as bytes_down, sum(sessions)::bigint as sessions
         from usage_daily where account_id = $1 and day >= $2::date and day < $3::date
        group by mcc, mnc, network, country, rat
       having sum(sessions) <> 0 or sum(bytes_up) <> 0 or sum(bytes_down) <> 0
        order by mcc, mnc, rat, network, country`,
      [accountId, fromDay, toDay],
    );
    return rows.map((r) => ({
      mcc: r.mcc,
      mnc: r.mnc,
      network: r.network || null,
      country: r.country || null,
      rat: r.rat,
      bytesUp: r.bytes_up,
      bytesDown: r.bytes_down,
      sessions: r.sessions,
    }));
  }

  /** Bytes and sessions per group (the SIMs' group now; null: none) over the days [fromDay, toDay). */
  async groupTotals(accountId: string, fromDay: string, toDay: string): Promise<GroupDayTotals[]> {
    const rows = await this.db.query<{ group_id: string; group_name: string | null; bytes_up: number; bytes_down: number; sessions: number }>(
      `select u.group_id, g.name as group_name, u.bytes_up, u.bytes_down, u.sessions
         from (select group_id, sum(bytes_up)::bigint as bytes_up, sum(bytes_down)::bigint as bytes_down, sum(sessions)::bigint as sessions
                 from usage_daily_groups where account_id = $1 and day >= $2::date and day < $3::date
                group by group_id
               having sum(sessions) <> 0 or sum(bytes_up) <> 0 or sum(bytes_down) <> 0) u
         left join sim_groups g on g.account_id = $1 and g.id = u.group_id`,
      [accountId, fromDay, toDay],
    );
    return rows.map((r) => ({
      groupId: r.group_id || null,
      groupName: r.group_name,
      bytesUp: r.bytes_up,
      bytesDown: r.bytes_down,
      sessions: r.sessions,
    }));
  }

  /** Distinct SIMs per key of each dimension over the days [fromDay, toDay): the days' bitmaps OR-ed, counted. */
  async distinctSims(
    accountId: string,
    dimensions: readonly UsageDimension[],
    fromDay: string,
    toDay: string,
  ): Promise<Map<UsageDimension, Map<string, number>>> {
    const rows = await this.db.query<{ dimension: UsageDimension; key: string; sims: number }>(
      `select dimension, key, sum(bit_count(bits))::bigint as sims
         from (select dimension, key, segment, bit_or(bits) as bits from usage_presence
                where account_id = $1 and dimension = any($2::text[]) and day >= $3::date and day < $4::date
                group by dimension, key, segment) as t
        group by dimension, key`,
      [accountId, dimensions, fromDay, toDay],
    );
    const result = new Map<UsageDimension, Map<string, number>>(dimensions.map((d) => [d, new Map()]));
    for (const r of rows) result.get(r.dimension)!.set(r.key, r.sims);
    return result;
  }

  /** Distinct SIMs per group (now; '' none) over the days [fromDay, toDay): the fleet's presence AND-ed with each group's members. */
  async groupSims(accountId: string, fromDay: string, toDay: string): Promise<Map<string, number>> {
    const rows = await this.db.query<{ group_id: string; sims: number }>(
      `select m.group_id, sum(bit_count(p.bits & m.bits))::bigint as sims
         from (select segment, bit_or(bits) as bits from usage_presence
                where account_id = $1 and dimension = 'sim' and key = '' and day >= $2::date and day < $3::date
                group by segment) as p
         join usage_group_members m on m.account_id = $1 and m.segment = p.segment
        group by m.group_id`,
      [accountId, fromDay, toDay],
    );
    return new Map(rows.map((r) => [r.group_id, r.sims]));
  }

  /** Accounts with rows appended since the last compaction. */
  async accountsToCompact(): Promise<string[]> {
    const rows = await this.db.query<{ account_id: string }>(
      `select distinct account_id from usage_daily where not compacted union select distinct account_id from usage_daily_groups where not compacted order by 1`,
    );
    return rows.map((r) => r.account_id);
  }

  /**
   * Folds the appended rows of an account into one row per key (with the row each key had), in one
   * statement per table: rows appended meanwhile by other transactions are not in its snapshot and stay.
   */
  async compact(accountId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock_shared(${rollupLockKey('$1::text')})`, [accountId]);
      await tx.query(
        `with touched as (
           select distinct day, mcc, mnc, network, country, rat from usage_daily where account_id = $1 and not compacted
         ), gone as (
           delete from usage_daily u using touched t
            where u.account_id = $1 and u.day = t.day and u.mcc = t.mcc and u.mnc = t.mnc and u.network = t.network and u.country = t.country and u.rat = t.rat
           returning u.day, u.mcc, u.mnc, u.network, u.country, u.rat, u.bytes_up, u.bytes_down, u.sessions
         )
         insert into usage_daily (account_id, day, mcc, mnc, network, country, rat, bytes_up, bytes_down, sessions, compacted)
         select $1, day, mcc, mnc, network, country, rat, sum(bytes_up), sum(bytes_down), sum(sessions), true
           from gone group by day, mcc, mnc, network, country, rat
         having sum(sessions) <> 0 or sum(bytes_up) <> 0 or sum(bytes_down) <> 0`,
        [accountId],
      );
      await tx.query(
        `with touched as (
           select distinct day, group_id from usage_daily_groups where account_id = $1 and not compacted
         ), gone as (
           delete from usage_daily_groups u using touched t where u.account_id = $1 and u.day = t.day and u.group_id = t.group_id
           returning u.day, u.group_id, u.bytes_up, u.bytes_down, u.sessions
         )
         insert into usage_daily_groups (account_id, day, group_id, bytes_up, bytes_down, sessions, compacted)
         select $1, day, group_id, sum(bytes_up), sum(bytes_down), sum(sessions), true
           from gone group by day, group_id
         having sum(sessions) <> 0 or sum(bytes_up) <> 0 or sum(bytes_down) <> 0`,
        [accountId],
      );
    });
  }

  /**
   * Whether the account's rollups add up to its ledger (bytes and sessions, overall and by group), in one
   * snapshot: a cheap check before a rebuild.
   */
  async agreesWithLedger(accountId: string): Promise<boolean> {
    const [row] = await this.db.query<{ agrees: boolean }>(
      `select l.up = d.up and l.down = d.down and l.n = d.n and l.up = g.up and l.down = g.down and l.n = g.n as agrees
         from (select coalesce(sum(bytes_up), 0) as up, coalesce(sum(bytes_down), 0) as down, count(*) as n from usage_ledger where account_id = $1) l,
              (select coalesce(sum(bytes_up), 0) as up, coalesce(sum(bytes_down), 0) as down, coalesce(sum(sessions), 0) as n from usage_daily where account_id = $1) d,
              (select coalesce(sum(bytes_up), 0) as up, coalesce(sum(bytes_down), 0) as down, coalesce(sum(sessions), 0) as n from usage_daily_groups where account_id = $1) g`,
      [accountId],
    );
    return row.agrees;
  }

  /** Rebuilds an account's rollups from its usage ledger (the repair), holding the rollup lock exclusively. */
  async rebuild(accountId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(${rollupLockKey('$1::text')})`, [accountId]);
      // Its distinct and grouped sets are sorted: at the default 4 MB, 10,000,000 sessions spill gigabytes to disk.
      await tx.query(`set local work_mem = '256MB'`);
      await tx.query('select usage_rollups_rebuild($1)', [accountId]);
    });
  }
}

const memberKey = (m: { account: string; dimension: string; key: string; iccid: string }) => JSON.stringify([m.account, m.dimension, m.key, m.iccid]);

-- Usage rollups (issue 17; docs/telemetry.md "Rollups"): usage reports and network statistics over whole
-- UTC days read these instead of scanning sessions. Bytes and sessions are moved by triggers on the usage
-- ledger, from each row's old and new version: exactly what every write changed, however many batches
-- race on one session; a redelivered or interim record adds nothing, a late one lands on its own day
-- (event time). Presence (distinct SIMs) is marked by ingestion (UsageRollupsRepository.record): setting
-- a bit twice changes nothing. Unknown network, country or group are stored as '' (plain equality keys).

-- Bytes and sessions per day and network key. Ingestion appends its changes as rows (`compacted` false);
-- a compaction folds them into one row per key.
create table usage_daily (
  account_id text not null,
  day date not null,
  mcc text not null,
  mnc text not null,
  network text not null,
  country text not null,
  rat text not null,
  bytes_up bigint not null,
  bytes_down bigint not null,
  sessions bigint not null,
  compacted boolean not null default false
);
create index usage_daily_account_day on usage_daily (account_id, day);
create index usage_daily_pending on usage_daily (account_id) where not compacted;

-- The same per SIM group, the group the SIM is in now: moving a SIM to another group moves its usage
-- (its ledger sessions, summed per day) with it.
create table usage_daily_groups (
  account_id text not null,
  day date not null,
  group_id text not null,
  bytes_up bigint not null,
  bytes_down bigint not null,
  sessions bigint not null,
  compacted boolean not null default false
);
create index usage_daily_groups_account_day on usage_daily_groups (account_id, day);
create index usage_daily_groups_pending on usage_daily_groups (account_id) where not compacted;

-- Distinct SIMs, exactly, over any run of days: each SIM seen under a key (a network, a network and RAT,
-- a country, a RAT, or '' for the whole fleet) gets a dense ordinal within that key, and each day holds a
-- bitmap of the ordinals seen that day, in segments of 4,096 bits. The SIMs over a range are the bits of
-- the days' bitmaps OR-ed together, counted: a 30-day report at a million SIMs reads a few megabytes.
create table usage_keys (
  account_id text not null,
  dimension text not null check (dimension in ('sim', 'network', 'network_rat', 'country', 'rat')),
  key text not null,
  members integer not null,
  primary key (account_id, dimension, key)
);

create table usage_members (
  account_id text not null,
  dimension text not null,
  key text not null,
  iccid text not null,
  ordinal integer not null,
  primary key (account_id, dimension, key, iccid)
);

create table usage_presence (
  account_id text not null,
  dimension text not null,
  key text not null,
  day date not null,
  segment integer not null,
  bits bit varying(4096) not null,
  primary key (account_id, dimension, key, day, segment)
);

-- The SIMs (by their ordinal under the whole fleet, dimension 'sim') in each group now, '' for none: the
-- distinct SIMs of a group over a range are the fleet's presence AND-ed with these.
create table usage_group_members (
  account_id text not null,
  group_id text not null,
  segment integer not null,
  bits bit varying(4096) not null,
  primary key (account_id, group_id, segment)
);

-- What a statement changed in the ledger, into the daily rollups: each row's new counters at its key, minus
-- its old ones at its old key (an insert has only the new). The account's rollup lock (shared) comes first:
-- a SIM changing group holds it exclusively while it moves its usage, so a session is either moved with
-- it or attributed to its new group.
create function usage_ledger_rolled_up() returns trigger
  language plpgsql
  as $$
declare
  columns constant text := 'account_id, iccid, started_at, mcc, mnc, network, country, rat, bytes_up, bytes_down';
  changed text := format('select %s, 1 as sign from new_rows', columns);
begin
  if tg_op = 'UPDATE' then
    changed := format('select %s, -1 as sign from old_rows union all %s', columns, changed);
  end if;
  execute format('select pg_advisory_xact_lock_shared(hashtextextended(''simfleet:usage-rollups:'' || a.account_id, 0))
                    from (select distinct account_id from (%s) as c order by 1) as a', changed);
  execute format('insert into usage_daily (account_id, day, mcc, mnc, network, country, rat, bytes_up, bytes_down, sessions)
                  select account_id, (started_at at time zone ''UTC'')::date, mcc, mnc, coalesce(network, ''''), coalesce(country, ''''), rat,
                         sum(sign * bytes_up), sum(sign * bytes_down), sum(sign)
                    from (%s) as c
                   group by 1, 2, 3, 4, 5, 6, 7
                  having sum(sign * bytes_up) <> 0 or sum(sign * bytes_down) <> 0 or sum(sign) <> 0', changed);
  execute format('insert into usage_daily_groups (account_id, day, group_id, bytes_up, bytes_down, sessions)
                  select c.account_id, (c.started_at at time zone ''UTC'')::date, coalesce(s.group_id, ''''),
                         sum(c.sign * c.bytes_up), sum(c.sign * c.bytes_down), sum(c.sign)
                    from (%s) as c left join sims s on s.iccid = c.iccid
                   group by 1, 2, 3
                  having sum(c.sign * c.bytes_up) <> 0 or sum(c.sign * c.bytes_down) <> 0 or sum(c.sign) <> 0', changed);
  return null;
end
$$;

create trigger usage_ledger_inserted after insert on usage_ledger
  referencing new table as new_rows for each statement execute function usage_ledger_rolled_up();
create trigger usage_ledger_updated after update on usage_ledger
  referencing old table as old_rows new table as new_rows for each statement execute function usage_ledger_rolled_up();

-- A 4,096-bit segment with the given bit positions set (0 is the leftmost bit, as get_bit/set_bit count).
-- Built from 64-bit words: a few dozen rows per segment, whatever the number of bits.
create function usage_bitmap(positions integer[]) returns bit varying
  language sql immutable parallel safe
  as $$
    select string_agg(coalesce(w.word, 0)::bit(64)::text, '' order by g.i)::bit varying
      from generate_series(0, 63) as g (i)
      left join (select p / 64 as i, bit_or(1::bigint << (63 - p % 64)) as word from unnest(positions) as p group by 1) as w on w.i = g.i
  $$;

-- Rebuilds an account's rollups from its usage ledger (the repair, and the backfill below). The caller
-- holds the account's rollup lock exclusively (UsageRollupsRepository.rebuild).
create function usage_rollups_rebuild(account text) returns void
  language plpgsql
  as $$
begin
  delete from usage_daily where account_id = account;
  insert into usage_daily (account_id, day, mcc, mnc, network, country, rat, bytes_up, bytes_down, sessions, compacted)
  select account, (started_at at time zone 'UTC')::date, mcc, mnc, coalesce(network, ''), coalesce(country, ''), rat,
         sum(bytes_up), sum(bytes_down), count(*), true
    from usage_ledger where account_id = account
   group by 2, 3, 4, 5, 6, 7;

  delete from usage_daily_groups where account_id = account;
  insert into usage_daily_groups (account_id, day, group_id, bytes_up, bytes_down, sessions, compacted)
  select account, (l.started_at at time zone 'UTC')::date, coalesce(s.group_id, ''), sum(l.bytes_up), sum(l.bytes_down), count(*), true
    from usage_ledger l left join sims s on s.iccid = l.iccid
   where l.account_id = account
   group by 2, 3;

  delete from usage_presence where account_id = account;
  delete from usage_group_members where account_id = account;
  delete from usage_members where account_id = account;
  delete from usage_keys where account_id = account;

  insert into usage_members (account_id, dimension, key, iccid, ordinal)
  select account, m.dimension, m.key, m.iccid, (row_number() over (partition by m.dimension, m.key order by m.iccid) - 1)::integer
    from (select distinct d.dimension, d.key, l.iccid
            from usage_ledger l
            cross join lateral (values ('sim', ''), ('network', l.mcc || '-' || l.mnc), ('network_rat', l.mcc || '-' || l.mnc || '|' || l.rat),
                                       ('country', coalesce(l.country, '')), ('rat', l.rat)) as d (dimension, key)
           where l.account_id = account) as m;
  insert into usage_keys (account_id, dimension, key, members)
  select account, dimension, key, count(*) from usage_members where account_id = account group by dimension, key;

  insert into usage_presence (account_id, dimension, key, day, segment, bits)
  select account, m.dimension, m.key, x.day, m.ordinal / 4096, usage_bitmap(array_agg(m.ordinal % 4096))
    from (select distinct l.iccid, (l.started_at at time zone 'UTC')::date as day, d.dimension, d.key
            from usage_ledger l
            cross join lateral (values ('sim', ''), ('network', l.mcc || '-' || l.mnc), ('network_rat', l.mcc || '-' || l.mnc || '|' || l.rat),
                                       ('country', coalesce(l.country, '')), ('rat', l.rat)) as d (dimension, key)
           where l.account_id = account) as x
    join usage_members m on m.account_id = account and m.dimension = x.dimension and m.key = x.key and m.iccid = x.iccid
   group by m.dimension, m.key, x.day, m.ordinal / 4096;

  insert into usage_group_members (account_id, group_id, segment, bits)
  select account, coalesce(s.group_id, ''), m.ordinal / 4096, usage_bitmap(array_agg(m.ordinal % 4096))
    from usage_members m left join sims s on s.iccid = m.iccid
   where m.account_id = account and m.dimension = 'sim'
   group by 2, 3;
end
$$;

-- The usage already in the ledger.
select usage_rollups_rebuild(id) from accounts;

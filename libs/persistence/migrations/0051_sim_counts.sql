-- Fleet summary counters (GET /v1/sims/summary in constant time, issue 17; docs/sims.md "Summary").
--
-- The SIMs of an account counted by status, group, country and network, kept by triggers in the very
-- statement that changes `sims`, so whatever writes a SIM (API, bulk job, telemetry, SQL by hand) moves
-- the counts in its own transaction. Each statement appends its net changes as rows (never updating a
-- shared row: concurrent writers never wait on each other); the summary sums them, and a compaction folds
-- an account's rows into one per key (SimCountsRepository). A repair recounts from `sims`.
create table sim_counts (
  account_id text not null,
  dimension text not null check (dimension in ('status', 'group', 'country', 'network')),
  key text,
  n bigint not null
);
create index sim_counts_account on sim_counts (account_id);

create function sim_counts_changed() returns trigger
  language plpgsql
  as $$
begin
  if tg_op = 'INSERT' then
    insert into sim_counts (account_id, dimension, key, n)
    select r.account_id, d.dimension, d.key, count(*)
      from new_rows r
      cross join lateral (values ('status', r.status), ('group', r.group_id), ('country', r.country), ('network', r.network)) as d (dimension, key)
     where r.account_id is not null
     group by 1, 2, 3;
  elsif tg_op = 'DELETE' then
    insert into sim_counts (account_id, dimension, key, n)
    select r.account_id, d.dimension, d.key, -count(*)
      from old_rows r
      cross join lateral (values ('status', r.status), ('group', r.group_id), ('country', r.country), ('network', r.network)) as d (dimension, key)
     where r.account_id is not null
     group by 1, 2, 3;
  else
    -- Only the rows whose counted attributes changed (telemetry rewrites SIMs without changing them).
    insert into sim_counts (account_id, dimension, key, n)
    select c.account_id, c.dimension, c.key, sum(c.n)
      from (
        select o.account_id, d.dimension, d.key, -1 as n
          from old_rows o
          join new_rows r on r.iccid = o.iccid
          cross join lateral (values ('status', o.status), ('group', o.group_id), ('country', o.country), ('network', o.network)) as d (dimension, key)
         where o.account_id is not null
           and (o.account_id, o.status, o.group_id, o.country, o.network) is distinct from (r.account_id, r.status, r.group_id, r.country, r.network)
        union all
        select r.account_id, d.dimension, d.key, 1 as n
          from old_rows o
          join new_rows r on r.iccid = o.iccid
          cross join lateral (values ('status', r.status), ('group', r.group_id), ('country', r.country), ('network', r.network)) as d (dimension, key)
         where r.account_id is not null
           and (o.account_id, o.status, o.group_id, o.country, o.network) is distinct from (r.account_id, r.status, r.group_id, r.country, r.network)
      ) c
     group by 1, 2, 3
    having sum(c.n) <> 0;
  end if;
  return null;
end
$$;

create trigger sims_counted_insert after insert on sims
  referencing new table as new_rows for each statement execute function sim_counts_changed();
create trigger sims_counted_update after update on sims
  referencing old table as old_rows new table as new_rows for each statement execute function sim_counts_changed();
create trigger sims_counted_delete after delete on sims
  referencing old table as old_rows for each statement execute function sim_counts_changed();

-- The SIMs already there.
insert into sim_counts (account_id, dimension, key, n)
select account_id,
       case when grouping(status) = 0 then 'status' when grouping(group_id) = 0 then 'group' when grouping(country) = 0 then 'country' else 'network' end,
       coalesce(status, group_id, country, network),
       count(*)
  from sims
 where account_id is not null
 group by account_id, grouping sets ((status), (group_id), (country), (network));

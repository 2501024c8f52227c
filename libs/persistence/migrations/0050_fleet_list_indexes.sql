-- The fleet list at a million SIMs in one account (issue 17, docs/sims.md "How a list page is found").
--
-- A page is found in one of two ways, and SimFleetRepository picks (see its comments):
--  1. a walk in sort order over a covering index, one per sort key, led by (account_id, status): each status
--     is its own ordered range, merged (Merge Append), and the filters are checked on the index tuple
--     itself (an index-only scan) through `facets`, a hashed set of the filterable attributes;
--  2. when the walk meets too few matches, the matches themselves from a GIN index over `facets` (an
--     intersection of posting lists), then sorted.
-- Either way the rows returned are checked again against the exact filters (a hash is only a hint).

-- One filterable attribute of an account's SIM as a 32-bit hash: `kind` is s (status), g (group, '' for
-- none), c (country), n (network), e (end-user device) or t (tag, `key=value`). The account is part of the
-- hash, so a GIN posting list holds one account's SIMs only (and another value colliding with
-- it costs one more row checked, never a wrong answer). chr(31) cannot occur in any of the values.
create function sim_facet(account_id text, kind text, value text) returns integer
  language sql immutable parallel safe
  as $$ select hashtext(account_id || chr(31) || kind || chr(31) || coalesce(value, '')) $$;

create function sim_facets(account_id text, status text, group_id text, country text, network text, end_user_device boolean, tags jsonb)
  returns integer[]
  language sql immutable parallel safe
  as $$
    select case when account_id is null then null else
      array[sim_facet(account_id, 's', status), sim_facet(account_id, 'g', group_id), sim_facet(account_id, 'c', country),
            sim_facet(account_id, 'n', network), sim_facet(account_id, 'e', end_user_device::text)]
      || array(select sim_facet(account_id, 't', t.key || '=' || t.value) from jsonb_each_text(tags) as t order by 1)
    end
  $$;

alter table sims add column facets integer[]
  generated always as (sim_facets(account_id, status, group_id, country, network, end_user_device, tags)) stored;

-- The walks: (account, status, sort key, iccid), carrying what the filters and `q` read (a tag set is
-- unbounded in size, so tags travel hashed in `facets`, never as jsonb: an index tuple has a size limit).
create index sims_walk_iccid on sims (account_id, status, iccid) include (facets, last_seen_at, name, msisdn);
create index sims_walk_last_seen on sims (account_id, status, last_seen_at, iccid) include (facets, name, msisdn);
create index sims_walk_name on sims (account_id, status, name, iccid) include (facets, last_seen_at, msisdn);
create index sims_walk_created on sims (account_id, status, created_at, iccid) include (facets, last_seen_at, name, msisdn);
create index sims_facets on sims using gin (facets) where account_id is not null;

-- Superseded by the walks and the facets.
drop index sims_account_status;
drop index sims_account_group;
drop index sims_account_country;
drop index sims_account_network;
drop index sims_account_last_seen;
drop index sims_account_created;
drop index sims_account_name_sort;
drop index sims_account_end_user;
drop index sims_tags;
drop index sims_account_iccid;

-- `q`: a name substring through trigrams (pg_trgm: in PostgreSQL's contrib, and loaded by the embedded
-- PGlite). Where the extension cannot be created (a server without contrib), name search still answers,
-- exactly, by checking names as the walk goes (docs/sims.md): only slower.
do $$
begin
  create extension if not exists pg_trgm;
exception when others then
  raise notice 'pg_trgm is not available (%): SIM name search is not indexed', sqlerrm;
end
$$;

do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_trgm') then
    create index sims_name_trigrams on sims using gin (name gin_trgm_ops) where name is not null;
  end if;
end
$$;

-- Index-only walks need the visibility map up to date: vacuum the SIMs after 2 % of them changed
-- (PostgreSQL's default waits for 20 %, 200,000 rows of a million-SIM fleet).
alter table sims set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);

import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../database.js';

/** A counter the repair found wrong: what it held, what the SIMs say. */
export interface CountDrift {
  dimension: string;
  key: string | null;
  counted: number;
  actual: number;
}

/**
 * Compaction and repair of the fleet summary counters (migration 0051). Compaction and repair of one
 * account hold the same transaction lock, so a repair never deletes a compacted row whose deltas its
 * recount did not see.
 */
export const simCountsLockKey = (accountParam: string) => `hashtextextended('simfleet:sim-counts:' || ${accountParam}, 0)`;

@Injectable()
export class SimCountsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Accounts whose counters hold more than `rowsAbove` rows (each write appends a few). */
  async accountsToCompact(rowsAbove: number): Promise<string[]> {
    const rows = await this.db.query<{ account_id: string }>(
      'select account_id from sim_counts group by account_id having count(*) > $1 order by account_id',
      [rowsAbove],
    );
    return rows.map((r) => r.account_id);
  }

  /**
   * Folds an account's counter rows into one per key, in one statement: it deletes the rows its snapshot
   * sees and inserts their sums, so rows appended meanwhile by other transactions stay as they are.
   */
  async compact(accountId: string): Promise<{ before: number; after: number }> {
    return this.db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(${simCountsLockKey('$1::text')})`, [accountId]);
      const [row] = await tx.query<{ before: number; after: number }>(
        `with gone as (delete from sim_counts where account_id = $1 returning dimension, key, n),
              kept as (insert into sim_counts (account_id, dimension, key, n)
                       select $1, dimension, key, sum(n) from gone group by dimension, key having sum(n) <> 0 returning 1)
         select (select count(*) from gone)::bigint as before, (select count(*) from kept)::bigint as after`,
        [accountId],
      );
      return row;
    });
  }

  /**
   * Recounts an account's SIMs and replaces its counters, in one statement (one snapshot for the recount
   * and the rows it replaces: a SIM changed by a transaction that commits meanwhile keeps its own delta
   * row). Returns what was wrong, which a healthy database leaves empty.
   */
  async repair(accountId: string): Promise<CountDrift[]> {
    return this.db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(${simCountsLockKey('$1::text')})`, [accountId]);
      const rows = await tx.query<{ dimension: string; key: string | null; counted: number; actual: number }>(
        `with actual as (
           select case when grouping(status) = 0 then 'status' when grouping(group_id) = 0 then 'group'
                       when grouping(country) = 0 then 'country' else 'network' end as dimension,
                  coalesce(status, group_id, country, network) as key, count(*)::bigint as n
             from sims where account_id = $1
            group by grouping sets ((status), (group_id), (country), (network))
         ), gone as (
           delete from sim_counts where account_id = $1 returning dimension, key, n
         ), counted as (
           select dimension, key, sum(n)::bigint as n from gone group by dimension, key
         ), replaced as (
           insert into sim_counts (account_id, dimension, key, n) select $1, dimension, key, n from actual
         )
         select coalesce(a.dimension, c.dimension) as dimension, coalesce(a.key, c.key) as key,
                coalesce(c.n, 0)::bigint as counted, coalesce(a.n, 0)::bigint as actual
           from actual a full join counted c on c.dimension = a.dimension and coalesce(c.key, chr(1)) = coalesce(a.key, chr(1))
          where coalesce(c.n, 0) <> coalesce(a.n, 0)`,
        [accountId],
      );
      return rows.map((r) => ({ dimension: r.dimension, key: r.key, counted: r.counted, actual: r.actual }));
    });
  }

  /** Every account holding SIMs or counters: what a full repair goes through. */
  async accounts(): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>('select id from accounts order by id');
    return rows.map((r) => r.id);
  }
}

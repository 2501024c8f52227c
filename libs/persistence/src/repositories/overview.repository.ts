import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../database.js';

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

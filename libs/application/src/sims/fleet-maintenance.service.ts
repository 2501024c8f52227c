import { Inject, Injectable, Logger } from '@nestjs/common';
import { SimCountsRepository, UsageRollupsRepository, type CountDrift } from '@simfleet/persistence';

/** An account's counters hold about 100 keys once compacted; past this many rows they are compacted again. */
const COMPACT_ABOVE_ROWS = 500;

export interface RepairReport {
  accounts: number;
  /** Summary counters found wrong (and corrected), per account. */
  counters: Array<{ accountId: string; drift: CountDrift[] }>;
  /** Accounts whose usage rollups were rebuilt from the ledger (asked, or found not to add up). */
  rebuilt: string[];
}

/**
 * Upkeep of the maintained fleet figures (summary counters, usage rollups): compaction folds the rows
 * each write appends; repair recounts from the source of truth and says what it corrected (a healthy
 * platform never has anything to correct).
 */
@Injectable()
export class FleetMaintenance {
  private readonly logger = new Logger('FleetMaintenance');

  constructor(
    @Inject(SimCountsRepository) private readonly counts: SimCountsRepository,
    @Inject(UsageRollupsRepository) private readonly rollups: UsageRollupsRepository,
  ) {}

  async compact(): Promise<{ counters: number; rollups: number }> {
    const counters = await this.counts.accountsToCompact(COMPACT_ABOVE_ROWS);
    for (const accountId of counters) await this.counts.compact(accountId);
    const rollups = await this.rollups.accountsToCompact();
    for (const accountId of rollups) await this.rollups.compact(accountId);
    return { counters: counters.length, rollups: rollups.length };
  }

  /**
   * Recounts the summary counters of one account, or of every account, and checks that their usage
   * rollups add up to the ledger, rebuilding those that do not (or all of them, with `rebuildRollups`).
   */
  async repair(accountId?: string, rebuildRollups = false): Promise<RepairReport> {
    const accounts = accountId ? [accountId] : await this.counts.accounts();
    const report: RepairReport = { accounts: accounts.length, counters: [], rebuilt: [] };
    for (const id of accounts) {
      const drift = await this.counts.repair(id);
      if (drift.length) {
        report.counters.push({ accountId: id, drift });
        this.logger.warn(
          `account ${id}: ${drift.length} summary counter(s) were wrong and are corrected: ${drift
            .slice(0, 10)
            .map((d) => `${d.dimension}=${d.key ?? 'null'} ${d.counted}→${d.actual}`)
            .join(', ')}`,
        );
      }
      if (rebuildRollups || !(await this.rollups.agreesWithLedger(id))) {
        if (!rebuildRollups) this.logger.warn(`account ${id}: usage rollups did not add up to the ledger and are rebuilt`);
        await this.rollups.rebuild(id);
        report.rebuilt.push(id);
      }
    }
    return report;
  }
}

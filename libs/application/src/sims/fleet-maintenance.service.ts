import { Inject, Injectable, Logger } from '@nestjs/common';
import { SimCountsRepository, type CountDrift } from '@simfleet/persistence';

/** An account's counters hold about 100 keys once compacted; past this many rows they are compacted again. */
const COMPACT_ABOVE_ROWS = 500;

export interface RepairReport {
  accounts: number;
  /** Counters found wrong (and corrected), per account. */
  drift: Array<{ accountId: string; counters: CountDrift[] }>;
}

/**
 * Upkeep of the maintained fleet figures: compaction folds the rows each write appends, repair recounts
 * from the source of truth and says what it corrected (a healthy platform never has anything to correct).
 */
@Injectable()
export class FleetMaintenance {
  private readonly logger = new Logger('FleetMaintenance');

  constructor(@Inject(SimCountsRepository) private readonly counts: SimCountsRepository) {}

  async compact(): Promise<{ accounts: number }> {
    const accounts = await this.counts.accountsToCompact(COMPACT_ABOVE_ROWS);
    for (const accountId of accounts) await this.counts.compact(accountId);
    return { accounts: accounts.length };
  }

  /** Recounts the summary counters of one account, or of every account. */
  async repair(accountId?: string): Promise<RepairReport> {
    const accounts = accountId ? [accountId] : await this.counts.accounts();
    const drift: RepairReport['drift'] = [];
    for (const id of accounts) {
      const counters = await this.counts.repair(id);
      if (!counters.length) continue;
      drift.push({ accountId: id, counters });
      this.logger.warn(
        `account ${id}: ${counters.length} summary counter(s) were wrong and are corrected: ${counters
          .slice(0, 10)
          .map((d) => `${d.dimension}=${d.key ?? 'null'} ${d.counted}→${d.actual}`)
          .join(', ')}`,
      );
    }
    return { accounts: accounts.length, drift };
  }
}

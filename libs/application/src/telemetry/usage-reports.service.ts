import { Inject, Injectable } from '@nestjs/common';
import { TelemetryQueriesRepository } from '@simfleet/persistence';
import { TelemetryStore } from '@simfleet/telemetry';
import { assertRange, foldNetworkStats, foldUsage, networkStatsGeoJson, type ReportGrouping, type UsageReportRow } from './usage-report.js';

/**
 * Account-wide usage reports and network statistics, in event time over [from, to).
 *
 * Sources: by SIM, network, country and RAT the telemetry store answers (its series are tagged with
 * exactly those, and it is where time-range scans are cheap); by group the usage ledger answers, joined
 * to the SIMs' group in the system of record, because the store knows nothing of groups. Both hold the
 * same sessions with the same latest counters and the same start time, so the totals agree.
 */
@Injectable()
export class UsageReports {
  constructor(
    @Inject(TelemetryStore) private readonly store: TelemetryStore,
    @Inject(TelemetryQueriesRepository) private readonly queries: TelemetryQueriesRepository,
  ) {}

  async usageReport(
    accountId: string,
    groupBy: ReportGrouping,
    from: Date,
    to: Date,
  ): Promise<{ groupBy: ReportGrouping; from: Date; to: Date; rows: UsageReportRow[] }> {
    assertRange(from, to);
    if (groupBy === 'group') {
      const groups = await this.queries.usageByGroup(accountId, from, to);
      const rows = groups
        .map((g) => ({
          key: g.groupId,
          label: g.groupId ? (g.groupName ?? g.groupId) : 'No group',
          bytesUp: g.bytesUp,
          bytesDown: g.bytesDown,
          bytesTotal: g.bytesUp + g.bytesDown,
          sessions: g.sessions,
          sims: g.sims,
        }))
        .sort((a, b) => b.bytesTotal - a.bytesTotal || (a.key ?? '\uffff').localeCompare(b.key ?? '\uffff'));
      return { groupBy, from, to, rows };
    }
    const totals = await this.store.sessionTotals({ accountId, from, to });
    const labels =
      groupBy === 'sim' ? await this.queries.simNames(accountId, [...new Set(totals.map((t) => t.iccid))]) : new Map<string, string | null>();
    return { groupBy, from, to, rows: foldUsage(totals, groupBy, labels) };
  }

  async networkStats(accountId: string, from: Date, to: Date) {
    assertRange(from, to);
    return { from, to, networks: foldNetworkStats(await this.store.sessionTotals({ accountId, from, to })) };
  }

  async networkStatsGeoJson(accountId: string, from: Date, to: Date) {
    assertRange(from, to);
    return networkStatsGeoJson(await this.store.sessionTotals({ accountId, from, to }));
  }
}

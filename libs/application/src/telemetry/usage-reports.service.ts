import { Inject, Injectable } from '@nestjs/common';
import { TelemetryQueriesRepository, UsageRollupsRepository } from '@simfleet/persistence';
import { TelemetryStore } from '@simfleet/telemetry';
import {
  assertRange,
  type DistinctSims,
  foldNetworkStats,
  foldNetworkTotals,
  foldUsage,
  foldUsageTotals,
  networkStatsGeoJson,
  networkTotalsGeoJson,
  type ReportGrouping,
  type UsageReportRow,
} from './usage-report.js';

const DAY_MS = 86_400_000;

/** The UTC days [fromDay, toDay) a range covers exactly, or null when it does not start and end at midnight UTC. */
function wholeDays(from: Date, to: Date): { fromDay: string; toDay: string } | null {
  if (from.getTime() % DAY_MS !== 0 || to.getTime() % DAY_MS !== 0) return null;
  return { fromDay: from.toISOString().slice(0, 10), toDay: to.toISOString().slice(0, 10) };
}

/**
 * Account-wide usage reports and network statistics, in event time over [from, to).
 *
 * A range of whole UTC days (midnight to midnight: what the console asks) is answered from the usage
 * rollups, whatever the fleet size: bytes and sessions per day and network key or group, and distinct
 * SIMs from the daily presence bitmaps. Any other range is answered exactly from the sessions: by SIM,
 * network, country and RAT from the telemetry store, by group from the usage ledger joined to the SIMs'
 * group. Both hold the same sessions with the same latest counters and start, so the totals agree; the
 * report by SIM (a row per SIM) always comes from the store.
 */
@Injectable()
export class UsageReports {
  constructor(
    @Inject(TelemetryStore) private readonly store: TelemetryStore,
    @Inject(TelemetryQueriesRepository) private readonly queries: TelemetryQueriesRepository,
    @Inject(UsageRollupsRepository) private readonly rollups: UsageRollupsRepository,
  ) {}

  async usageReport(
    accountId: string,
    groupBy: ReportGrouping,
    from: Date,
    to: Date,
  ): Promise<{ groupBy: ReportGrouping; from: Date; to: Date; rows: UsageReportRow[] }> {
    assertRange(from, to);
    const days = wholeDays(from, to);
    if (groupBy === 'group') {
      const groups = days ? await this.groupsFromRollups(accountId, days.fromDay, days.toDay) : await this.queries.usageByGroup(accountId, from, to);
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
    if (days && groupBy !== 'sim') {
      const [rows, sims] = await Promise.all([
        this.rollups.networkTotals(accountId, days.fromDay, days.toDay),
        this.distinctSims(accountId, days.fromDay, days.toDay, [groupBy === 'network' ? 'network' : groupBy]),
      ]);
      return { groupBy, from, to, rows: foldUsageTotals(rows, groupBy, sims) };
    }
    const totals = await this.store.sessionTotals({ accountId, from, to });
    const labels =
      groupBy === 'sim' ? await this.queries.simNames(accountId, [...new Set(totals.map((t) => t.iccid))]) : new Map<string, string | null>();
    return { groupBy, from, to, rows: foldUsage(totals, groupBy, labels) };
  }

  async networkStats(accountId: string, from: Date, to: Date) {
    assertRange(from, to);
    const days = wholeDays(from, to);
    if (!days) return { from, to, networks: foldNetworkStats(await this.store.sessionTotals({ accountId, from, to })) };
    const [rows, sims] = await Promise.all([
      this.rollups.networkTotals(accountId, days.fromDay, days.toDay),
      this.distinctSims(accountId, days.fromDay, days.toDay, ['network', 'network_rat']),
    ]);
    return { from, to, networks: foldNetworkTotals(rows, sims) };
  }

  async networkStatsGeoJson(accountId: string, from: Date, to: Date) {
    assertRange(from, to);
    const days = wholeDays(from, to);
    if (!days) return networkStatsGeoJson(await this.store.sessionTotals({ accountId, from, to }));
    const [rows, sims] = await Promise.all([
      this.rollups.networkTotals(accountId, days.fromDay, days.toDay),
      this.distinctSims(accountId, days.fromDay, days.toDay, ['network', 'country']),
    ]);
    return networkTotalsGeoJson(rows, sims);
  }

  private async distinctSims(
    accountId: string,
    fromDay: string,
    toDay: string,
    dimensions: Array<'network' | 'network_rat' | 'country' | 'rat'>,
  ): Promise<DistinctSims> {
    const counted = await this.rollups.distinctSims(accountId, dimensions, fromDay, toDay);
    const of = (d: 'network' | 'network_rat' | 'country' | 'rat') => counted.get(d) ?? new Map<string, number>();
    return { network: of('network'), networkRat: of('network_rat'), country: of('country'), rat: of('rat') };
  }

  private async groupsFromRollups(accountId: string, fromDay: string, toDay: string) {
    const [totals, sims] = await Promise.all([
      this.rollups.groupTotals(accountId, fromDay, toDay),
      this.rollups.groupSims(accountId, fromDay, toDay),
    ]);
    return totals.map((t) => ({ ...t, sims: sims.get(t.groupId ?? '') ?? 0 }));
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { Clock, DomainError, decodeCursor, encodeCursor, type Page, type SimListFilter } from '@simfleet/domain';
import {
  FleetMapRepository,
  OverviewRepository,
  type BoundingBox,
  type LedgerSessionRow,
  type PositionCluster,
  type SimPosition,
} from '@simfleet/persistence';
import { SimsService } from '../sims/sims.service.js';
import { InvoicingService } from '../billing/invoicing.service.js';
import { UsageReports } from '../telemetry/usage-reports.service.js';

export interface DataTotals {
  from: Date;
  to: Date;
  bytesUp: number;
  bytesDown: number;
  bytesTotal: number;
  sessions: number;
}

export interface FleetOverview {
  at: Date;
  onlineSims: number;
  openAlerts: Array<{ type: string; severity: string; count: number }>;
  data: { thisMonth: DataTotals; lastMonthSamePeriod: DataTotals; lastMonth: DataTotals };
  spend: { invoiceId: string; period: string; status: 'draft' | 'finalized'; total: string; currency: string; generatedAt: Date } | null;
}

/** Largest page of positions, and the number of grid cells a cluster answer aims at across a map's width. */
export const MAX_POSITIONS_PAGE = 10_000;

const monthStart = (at: Date, monthsBack = 0) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - monthsBack, 1));

/** The console's overview figures and fleet map (public API: docs/console.md). */
@Injectable()
export class FleetOverviewService {
  constructor(
    @Inject(OverviewRepository) private readonly overviewQueries: OverviewRepository,
    @Inject(FleetMapRepository) private readonly map: FleetMapRepository,
    @Inject(UsageReports) private readonly reports: UsageReports,
    @Inject(InvoicingService) private readonly invoicing: InvoicingService,
    @Inject(SimsService) private readonly sims: SimsService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  countSims(accountId: string, filter: SimListFilter): Promise<number> {
    return this.overviewQueries.countSims(accountId, filter);
  }

  /** A SIM's data sessions, newest first (the usage ledger: one row per session with its latest counters). */
  async sessions(
    accountId: string,
    ref: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<Omit<LedgerSessionRow, 'startedKey'> & { bytesTotal: number }>> {
    const sim = await this.sims.get(accountId, ref);
    let before: { startedAt: string; sessionId: string } | undefined;
    if (cursor) {
      const [startedAt, sessionId] = decodeCursor(cursor).split('\u0000');
      if (!sessionId) throw DomainError.validation('cursor is not a cursor this API returned', [{ field: 'cursor', message: 'invalid cursor' }]);
      before = { startedAt, sessionId };
    }
    const rows = await this.overviewQueries.sessions(sim.iccid, limit + 1, before);
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data: data.map(({ startedKey: _key, ...session }) => ({ ...session, bytesTotal: session.bytesUp + session.bytesDown })),
      nextCursor: rows.length > limit ? encodeCursor(`${last.startedKey}\u0000${last.sessionId}`) : null,
    };
  }

  async overview(accountId: string): Promise<FleetOverview> {
    const now = this.clock.now();
    const thisMonth = monthStart(now);
    const lastMonth = monthStart(now, 1);
    // The same stretch of last month (capped at its end): "this month so far" against a fair comparison.
    const lastMonthSoFar = new Date(Math.min(lastMonth.getTime() + (now.getTime() - thisMonth.getTime()), thisMonth.getTime()));
    const period = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const [onlineSims, openAlerts, current, previousSoFar, previous, invoices] = await Promise.all([
      this.overviewQueries.onlineSims(accountId),
      this.overviewQueries.openAlerts(accountId),
      this.totals(accountId, thisMonth, new Date(now.getTime() + 1)),
      this.totals(accountId, lastMonth, lastMonthSoFar),
      this.totals(accountId, lastMonth, thisMonth),
      this.invoicing.list({ accountId, period, limit: 1 }),
    ]);
    const invoice = invoices[0];
    return {
      at: now,
      onlineSims,
      openAlerts,
      data: { thisMonth: current, lastMonthSamePeriod: previousSoFar, lastMonth: previous },
      spend: invoice
        ? {
            invoiceId: invoice.id,
            period,
            status: invoice.status,
            total: invoice.total,
            currency: invoice.currency,
            generatedAt: invoice.generatedAt,
          }
        : null,
    };
  }

  private async totals(accountId: string, from: Date, to: Date): Promise<DataTotals> {
    if (to.getTime() <= from.getTime()) return { from, to, bytesUp: 0, bytesDown: 0, bytesTotal: 0, sessions: 0 };
    const { rows } = await this.reports.usageReport(accountId, 'rat', from, to);
    const sum = (pick: (r: (typeof rows)[number]) => number) => rows.reduce((total, r) => total + pick(r), 0);
    return {
      from,
      to,
      bytesUp: sum((r) => r.bytesUp),
      bytesDown: sum((r) => r.bytesDown),
      bytesTotal: sum((r) => r.bytesTotal),
      sessions: sum((r) => r.sessions),
    };
  }

  async positions(
    accountId: string,
    filter: { statuses?: string[]; box?: BoundingBox },
    limit: number,
    afterIccid?: string,
  ): Promise<{ data: SimPosition[]; nextIccid: string | null }> {
    if (limit > MAX_POSITIONS_PAGE)
      throw DomainError.validation(`limit: at most ${MAX_POSITIONS_PAGE}`, [{ field: 'limit', message: `at most ${MAX_POSITIONS_PAGE}` }]);
    const rows = await this.map.positions(accountId, filter, limit + 1, afterIccid);
    const data = rows.slice(0, limit);
    return { data, nextIccid: rows.length > limit ? data[data.length - 1].iccid : null };
  }

  /**
   * Positions clustered on a grid fitted to a map's zoom level: at zoom z the world is 256·2^z pixels wide,
   * and a cell is about 60 pixels of it.
   */
  async clusters(
    accountId: string,
    filter: { statuses?: string[]; box?: BoundingBox },
    zoom: number,
  ): Promise<{ total: number; clusters: PositionCluster[] }> {
    const cellDegrees = 360 / (2 ** zoom * (256 / 60));
    const clusters = await this.map.clusters(accountId, filter, cellDegrees);
    return { total: clusters.reduce((sum, c) => sum + c.count, 0), clusters };
  }
}

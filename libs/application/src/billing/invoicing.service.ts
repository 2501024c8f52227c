import { Inject, Injectable } from '@nestjs/common';
import {
  currencyMinorUnit,
  D,
  InvoiceBuilder,
  monthPeriod,
  PRODUCTS,
  ZoneResolver,
  type Invoice,
  type InvoiceLine,
  type PricePlan,
  type Product,
} from '@simfleet/billing';
import { Clock, DomainError, domainEvent, newId } from '@simfleet/domain';
import {
  Database,
  BillingInputsRepository,
  InvoiceRepository,
  UsageEventRepository,
  type InvoiceDraft,
  type StoredInvoice,
  EventRepository,
} from '@simfleet/persistence';
import { monthIn, PricePlansService } from './price-plans.service.js';

/** An invoice line; `adjusts` marks a correction of an earlier, finalized period. */
export interface PlatformInvoiceLine extends InvoiceLine {
  adjusts?: string;
}

/** What an invoice row stores (as JSON text): the library's invoice plus adjustment lines. */
export interface InvoiceDocument {
  planId: string;
  currency: string;
  period: Invoice['period'];
  lines: PlatformInvoiceLine[];
  subtotals: Invoice['subtotals'];
  total: string;
  unrated: Invoice['unrated'];
  stats: Invoice['stats'];
  provisional: boolean;
  /** Earlier periods corrected by adjustment lines of this invoice. */
  adjusts: string[];
}

export interface InvoiceView extends InvoiceDocument {
  id: string;
  accountId: string;
  status: 'draft' | 'finalized';
  generatedAt: Date;
  finalizedAt: Date | null;
}

export interface LineUsage {
  kind: 'sim' | 'sim-lifecycle' | 'data-session' | 'sms-message' | 'usage-event';
  [field: string]: unknown;
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const lineKey = (l: InvoiceLine) => [l.product, l.channel, l.description, l.unit, l.unitPrice].join('\u0000');

export function previousPeriod(period: string): string {
  const [y, m] = period.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/**
 * Builds invoices with the billing library from what the platform recorded: SIMs and their lifecycle,
 * the usage ledger, SMS sent to SIMs, and usage events. Drafts regenerate deterministically; a finalized
 * invoice is never written again, and usage of its period that arrives later is billed on the next open
 * invoice as adjustment lines (docs/billing.md, "Late usage").
 */
@Injectable()
export class InvoicingService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(PricePlansService) private readonly plans: PricePlansService,
    @Inject(InvoiceRepository) private readonly invoices: InvoiceRepository,
    @Inject(UsageEventRepository) private readonly usageEvents: UsageEventRepository,
    @Inject(BillingInputsRepository) private readonly inputs: BillingInputsRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
  ) {}

  /** Drafts (or re-drafts) the invoice of one account for one period. A finalized period is a 409. */
  async draft(accountId: string, period: string): Promise<InvoiceView> {
    this.assertPeriod(period);
    if (!(await this.inputs.accountExists(accountId))) throw DomainError.notFound('Account', accountId);
    const existing = await this.invoices.findByPeriod(accountId, period);
    if (existing?.status === 'finalized') throw this.finalizedConflict(existing);
    const now = this.clock.now();
    const draft = await this.compose(accountId, period, existing?.id ?? newId('inv'), now);
    const saved = await this.db.transaction(async (tx) => {
      const row = await this.invoices.saveDraft(tx, draft);
      if (!row) return null;
      await this.events.append(tx, [
        domainEvent('invoice.drafted', accountId, row.id, { invoiceId: row.id, period, total: row.total, currency: row.currency }, now),
      ]);
      return row;
    });
    if (!saved) throw this.finalizedConflict((await this.invoices.findByPeriod(accountId, period))!);
    return this.view(saved);
  }

  /** Drafts the period for every account (accounts created after the period are skipped). */
  async draftAll(period: string, onlyMissing = false): Promise<InvoiceView[]> {
    this.assertPeriod(period);
    const out: InvoiceView[] = [];
    for (const { id: accountId, createdAt } of await this.inputs.accounts()) {
      const plan = await this.plans.planForPeriod(accountId, period);
      if (createdAt.getTime() >= monthPeriod(period, plan.timeZone).end) continue;
      const existing = await this.invoices.findByPeriod(accountId, period);
      if (existing?.status === 'finalized' || (onlyMissing && existing)) continue;
      out.push(await this.draft(accountId, period));
    }
    return out;
  }

  /**
   * Finalizes an invoice: it is rebuilt from the usage received so far (so nothing received between the
   * draft and now is lost or billed twice) and frozen. Later usage of the period becomes adjustments.
   */
  async finalize(id: string): Promise<InvoiceView> {
    const invoice = await this.invoices.get(id);
    if (!invoice) throw DomainError.notFound('Invoice', id);
    if (invoice.status === 'finalized') throw this.finalizedConflict(invoice);
    const now = this.clock.now();
    const draft = await this.compose(invoice.accountId, invoice.period, invoice.id, now);
    const saved = await this.db.transaction(async (tx) => {
      const row = await this.invoices.finalize(tx, id, draft, now);
      if (!row) return null;
      await this.events.append(tx, [
        domainEvent(
          'invoice.finalized',
          row.accountId,
          row.id,
          { invoiceId: row.id, period: row.period, total: row.total, currency: row.currency },
          now,
        ),
      ]);
      return row;
    });
    if (!saved) throw this.finalizedConflict((await this.invoices.get(id))!);
    return this.view(saved);
  }

  /** Finalizes every draft whose period ended more than `graceMs` ago. */
  async finalizeDue(graceMs: number): Promise<InvoiceView[]> {
    const now = this.clock.now().getTime();
    const out: InvoiceView[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.invoices.list({ status: 'draft', after, limit: 500 });
      for (const invoice of page) {
        const period = JSON.parse(invoice.document) as InvoiceDocument;
        if (Date.parse(period.period.end) + graceMs <= now) out.push(await this.finalize(invoice.id));
      }
      if (page.length < 500) return out;
      after = page[page.length - 1].id;
    }
  }

  async get(id: string, accountId?: string): Promise<InvoiceView> {
    const invoice = await this.invoices.get(id);
    // Another tenant's invoice is reported exactly like a missing one.
    if (!invoice || (accountId !== undefined && invoice.accountId !== accountId)) throw DomainError.notFound('Invoice', id);
    return this.view(invoice);
  }

  async list(filter: { accountId?: string; period?: string; status?: string; after?: string; limit: number }): Promise<InvoiceView[]> {
    return (await this.invoices.list(filter)).map((i) => this.view(i));
  }

  /**
   * The usage behind line `n` (0-based index in `lines`): the SIMs of a SIM fee, the ledger sessions of
   * a data zone, the SMS sent to SIMs and the usage events of a channel line, in the line's period.
   */
  async lineUsage(
    id: string,
    n: number,
    accountId: string | undefined,
    offset: number,
    limit: number,
  ): Promise<{ line: PlatformInvoiceLine; data: LineUsage[]; nextOffset: number | null }> {
    const invoice = await this.get(id, accountId);
    const line = invoice.lines[n];
    if (!line) throw DomainError.notFound('Invoice line', `${id}/lines/${n}`);
    const periodId = line.adjusts ?? invoice.period.id;
    const plan = await this.plans.planForPeriod(invoice.accountId, periodId);
    const period = monthPeriod(periodId, plan.timeZone);
    const start = new Date(period.start);
    const end = new Date(period.end);
    const adjustedInvoice = line.adjusts ? await this.invoices.findByPeriod(invoice.accountId, line.adjusts) : null;
    const receivedAfter = adjustedInvoice?.finalizedAt ?? null;
    let usage: LineUsage[] = [];
    if (line.product === 'things' && line.channel === 'sim' && /activation/i.test(line.description)) {
      const atAllocation = plan.things?.activationFeeAt === 'allocation';
      usage = (await this.inputs.sims(invoice.accountId))
        .filter((s) => {
          const due = atAllocation ? s.allocatedAt : s.firstActivatedAt;
          return due !== null && due >= start && due < end;
        })
        .map((s) => ({ kind: 'sim', iccid: s.iccid, allocatedAt: s.allocatedAt, firstActivatedAt: s.firstActivatedAt }));
    } else if (line.product === 'things' && line.channel === 'sim') {
      usage = activeSims(await this.inputs.lifecycle(invoice.accountId, end), start.getTime()).map((s) => ({ kind: 'sim-lifecycle', ...s }));
    } else if (line.product === 'things' && line.channel === 'data' && plan.things) {
      const resolver = new ZoneResolver(plan.things.data);
      usage = (await this.inputs.ledger(invoice.accountId, start, end))
        .filter((r) => {
          // `Data traffic, zone <id>`, with ` (tier …)` appended for a tiered zone.
          const label = `Data traffic, zone ${resolver.resolve(r.mcc, r.mnc).zone ?? ''}`;
          return line.description === label || line.description.startsWith(`${label} (`);
        })
        .map((r) => ({ kind: 'data-session', ...r }));
    } else {
      if (line.channel === 'sms') {
        usage = (await this.inputs.smsMt(invoice.accountId, start, end)).map(({ kind, ...m }) => ({ kind: 'sms-message', messageKind: kind, ...m }));
      }
      const channels = line.channel === 'signals' ? (plan.signals?.channels ?? ['sms', 'mms', 'rcs', 'voice']) : [line.channel];
      const events = await this.usageEvents.inRange(invoice.accountId, start, end, channels, receivedAfter, null, 100_000);
      usage = usage.concat(
        events.map((e) => ({ kind: 'usage-event', id: e.id, channel: e.channel, type: e.type, at: e.at, receivedAt: e.receivedAt, event: e.event })),
      );
    }
    const data = usage.slice(offset, offset + limit);
    return { line, data, nextOffset: offset + limit < usage.length ? offset + limit : null };
  }

  /** The draft content: the period rated with its plan, plus adjustments of earlier finalized periods. */
  private async compose(accountId: string, period: string, id: string, now: Date): Promise<InvoiceDraft> {
    const plan = await this.plans.planForPeriod(accountId, period);
    const invoice = await this.rate(accountId, period, plan, now);
    const adjustments = await this.adjustments(accountId, period, now);
    const decimals = plan.rounding?.decimals ?? currencyMinorUnit(plan.currency);
    let subtotals = invoice.subtotals;
    let total = invoice.total;
    const lines: PlatformInvoiceLine[] = [...invoice.lines, ...adjustments.lines];
    if (adjustments.lines.length) {
      const sums = new Map<Product, InstanceType<typeof D>>();
      for (const line of lines) sums.set(line.product, (sums.get(line.product) ?? new D(0)).plus(line.amount));
      subtotals = PRODUCTS.filter((p) => sums.has(p)).map((product) => ({ product, amount: sums.get(product)!.toFixed(decimals) }));
      total = lines.reduce((sum, l) => sum.plus(l.amount), new D(0)).toFixed(decimals);
    }
    const document: InvoiceDocument = {
      planId: invoice.planId,
      currency: invoice.currency,
      period: invoice.period,
      lines,
      subtotals,
      total,
      unrated: invoice.unrated,
      stats: invoice.stats,
      provisional: invoice.provisional ?? false,
      adjusts: adjustments.periods,
    };
    return { id, accountId, period, planId: plan.id, currency: plan.currency, total, document: JSON.stringify(document), generatedAt: now };
  }

  /** Rates one period of one account with the billing library. */
  private async rate(accountId: string, periodId: string, plan: PricePlan, now: Date): Promise<Invoice> {
    const builder = new InvoiceBuilder(plan, periodId, { now: () => now });
    const start = new Date(builder.period.start);
    const end = new Date(builder.period.end);
    // State events (numbers provisioned, users…) may predate the period: the library replays the log.
    for (const e of await this.usageEvents.upTo(accountId, end)) builder.addEvent(e.event);
    for (const s of await this.inputs.sims(accountId)) {
      builder.addSim({
        iccid: s.iccid,
        allocatedAt: s.allocatedAt?.toISOString() ?? null,
        firstActivatedAt: s.firstActivatedAt?.toISOString() ?? null,
      });
    }
    // The whole history up to the period end, so the status at the period start is known.
    for (const h of await this.inputs.lifecycle(accountId, end)) builder.addSimStatus({ iccid: h.iccid, status: h.status, at: h.at.toISOString() });
    for (const r of await this.inputs.ledger(accountId, start, end)) {
      builder.addDataSession({
        iccid: r.iccid,
        sessionId: r.sessionId,
        startedAt: r.startedAt.toISOString(),
        bytesUp: r.bytesUp,
        bytesDown: r.bytesDown,
        mcc: r.mcc,
        mnc: r.mnc,
      });
    }
    for (const m of await this.inputs.smsMt(accountId, start, end)) {
      builder.addSmsMt({
        iccid: m.iccid,
        messageId: m.id,
        at: m.submittedAt.toISOString(),
        segments: m.segments,
        ...(m.msisdn ? { to: m.msisdn } : {}),
      });
    }
    return builder.build();
  }

  /**
   * Adjustment lines for earlier finalized periods whose usage changed after finalization. A period's
   * adjustment goes to the earliest open invoice after it: the difference, per line, between the period
   * rated again now and what finalized invoices already billed for it (its own lines and earlier adjustments).
   */
  private async adjustments(accountId: string, period: string, now: Date): Promise<{ lines: PlatformInvoiceLine[]; periods: string[] }> {
    const all = await this.invoices.forAccount(accountId);
    const lines: PlatformInvoiceLine[] = [];
    const periods: string[] = [];
    for (const earlier of all) {
      if (earlier.status !== 'finalized' || earlier.period >= period) continue;
      if (all.some((i) => i.status === 'draft' && i.period > earlier.period && i.period < period)) continue;
      const plan = await this.plans.planForPeriod(accountId, earlier.period);
      const bounds = monthPeriod(earlier.period, plan.timeZone);
      if (!(await this.inputs.changedSince(accountId, new Date(bounds.start), new Date(bounds.end), earlier.finalizedAt!))) continue;
      const corrected = await this.rate(accountId, earlier.period, plan, now);
      const billed = new Map<string, { line: InvoiceLine; quantity: InstanceType<typeof D>; amount: InstanceType<typeof D> }>();
      const bill = (l: InvoiceLine) => {
        const key = lineKey(l);
        const b = billed.get(key) ?? { line: l, quantity: new D(0), amount: new D(0) };
        billed.set(key, { line: b.line, quantity: b.quantity.plus(l.quantity), amount: b.amount.plus(l.amount) });
      };
      for (const l of (JSON.parse(earlier.document) as InvoiceDocument).lines) if (!l.adjusts) bill(l);
      for (const other of all) {
        if (other.status !== 'finalized' || other.period <= earlier.period || other.period >= period) continue;
        for (const l of (JSON.parse(other.document) as InvoiceDocument).lines) if (l.adjusts === earlier.period) bill(l);
      }
      const before = lines.length;
      const emit = (l: InvoiceLine, quantity: InstanceType<typeof D>, amount: InstanceType<typeof D>) => {
        if (quantity.isZero() && amount.isZero()) return;
        lines.push({
          product: l.product,
          channel: l.channel,
          description: `Adjustment for ${earlier.period}: ${l.description}`,
          quantity: quantity.toString(),
          unit: l.unit,
          unitPrice: l.unitPrice,
          amount: amount.toFixed(plan.rounding?.decimals ?? currencyMinorUnit(plan.currency)),
          adjusts: earlier.period,
        });
      };
      for (const l of corrected.lines) {
        const key = lineKey(l);
        const b = billed.get(key);
        billed.delete(key);
        emit(l, new D(l.quantity).minus(b?.quantity ?? 0), new D(l.amount).minus(b?.amount ?? 0));
      }
      for (const b of billed.values()) emit(b.line, b.quantity.negated(), b.amount.negated());
      if (lines.length > before) periods.push(earlier.period);
    }
    return { lines, periods };
  }

  private view(invoice: StoredInvoice): InvoiceView {
    const doc = JSON.parse(invoice.document) as InvoiceDocument;
    return {
      id: invoice.id,
      accountId: invoice.accountId,
      status: invoice.status,
      ...doc,
      generatedAt: invoice.generatedAt,
      finalizedAt: invoice.finalizedAt,
    };
  }

  private assertPeriod(period: string): void {
    if (!PERIOD.test(period)) throw DomainError.validation('period must be YYYY-MM', [{ field: 'period', message: 'a calendar month, YYYY-MM' }]);
  }

  private finalizedConflict(invoice: StoredInvoice): DomainError {
    return DomainError.conflict(
      `The invoice of ${invoice.period} is finalized and never changes; later usage of that period is billed on the next invoice as adjustments`,
      {
        invoiceId: invoice.id,
        period: invoice.period,
        invoiceStatus: invoice.status,
      },
    );
  }
}

/** SIMs active at any moment from `start` on (status at the start, or an `active` entry after it), with the entries that say so. */
function activeSims(
  history: Array<{ iccid: string; status: string; at: Date }>,
  start: number,
): Array<{ iccid: string; statusAtStart: string | null; activeAt: Date }> {
  const bySim = new Map<string, Array<{ status: string; at: Date }>>();
  for (const h of history) bySim.set(h.iccid, [...(bySim.get(h.iccid) ?? []), h]);
  const out: Array<{ iccid: string; statusAtStart: string | null; activeAt: Date }> = [];
  for (const [iccid, entries] of bySim) {
    const atStart = entries.filter((e) => e.at.getTime() <= start).at(-1) ?? null;
    const activeEntry = atStart?.status === 'active' ? atStart : entries.find((e) => e.at.getTime() > start && e.status === 'active');
    if (activeEntry) out.push({ iccid, statusAtStart: atStart?.status ?? null, activeAt: activeEntry.at });
  }
  return out;
}

export { monthIn };

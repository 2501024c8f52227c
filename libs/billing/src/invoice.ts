import type { Decimal } from 'decimal.js';
import { currencyMinorUnit, money, plain, roundMoney, ZERO, type Rounding } from './decimal.js';
import {
  rateActiveUsers,
  rateEmail,
  rateKakao,
  rateMessaging,
  rateNumberLookup,
  rateNumbers,
  rateRecordingStorage,
  ratePush,
  rateUssd,
  rateViber,
  rateViberBot,
  rateVoice,
  rateWhatsApp,
} from './channels.js';
import type { RatingContext } from './context.js';
import { EventValidationError, parseEvent, type BillableEvent, type Channel, type EventProblem, type ParsedEvent } from './events.js';
import { LineSink, PRODUCTS, rateItems, type CountItem, type Product, type Unrated } from './lines.js';
import { assertPlan, type PricePlan, type SignalsChannel } from './plan.js';
import { rateAnswers, rateConversations, rateConversationsApi, rateMoments } from './saas.js';
import {
  DataUsageAccumulator,
  SimFeesAccumulator,
  type DataSessionRow,
  type SimActiveInterval,
  type SimRecord,
  type SimStatusChange,
  type SmsMtRow,
  type ThingsInput,
} from './things.js';
import { instantMs, isoInZone, monthPeriod, parseInstant, type Clock, type Period } from './time.js';
import type { Timed } from './windows.js';

export interface InvoiceLine {
  product: Product;
  channel: string;
  description: string;
  quantity: string;
  unit: string;
  unitPrice: string;
  /** Rounded once, here, to the plan's rounding (default: half-up to the currency's minor unit). */
  amount: string;
}

export interface Invoice {
  planId: string;
  currency: string;
  period: { id: string; start: string; end: string; timeZone: string };
  lines: InvoiceLine[];
  subtotals: Array<{ product: Product; amount: string }>;
  total: string;
  /** Billable items the plan could not price (no price, unknown zone/destination…): never silently dropped. */
  unrated: Unrated[];
  stats: {
    events: number;
    duplicateEvents: number;
    rejectedEvents: number;
    blockedEvents: number;
    dataSessions: number;
    duplicateDataSessions: number;
  };
  /** Present when a clock is given: the clock's instant, and whether the period was still running. */
  generatedAt?: string;
  provisional?: boolean;
}

export interface RateInvoiceInput {
  plan: PricePlan | unknown;
  /** Calendar month in the plan's time zone, 'YYYY-MM'. */
  period: string;
  /** Billable and state events; state events may predate the period. Any iterable (streaming). */
  events?: Iterable<unknown>;
  things?: ThingsInput;
  clock?: Clock;
}

/** Outbound event types that are Signals "interactions" (traffic sent for routing). */
const INTERACTION_TYPES: Record<SignalsChannel, readonly string[]> = {
  sms: ['mt'],
  mms: ['mt'],
  rcs: ['mt'],
  voice: ['call'],
  whatsapp: ['template', 'free-form'],
  viber: ['message'],
  email: ['submitted'],
  push: ['notification'],
};
const DEFAULT_SIGNALS_CHANNELS: readonly SignalsChannel[] = ['sms', 'mms', 'rcs', 'voice'];

function inboundFirst(e: BillableEvent): number {
  // At the same instant an MO (or an inbound bot message, a deprovisioning) is applied first, so a reply at that instant sees the window it opened.
  if (e.type === 'mo' || e.type === 'user-deprovisioned' || e.type === 'released' || e.type === 'sender-removed' || e.type === 'deleted') return 0;
  if (e.type === 'message' && 'direction' in e && e.direction === 'in') return 0;
  return 1;
}

function compareTimed(a: Timed<BillableEvent>, b: Timed<BillableEvent>): number {
  return a.t - b.t || inboundFirst(a.e) - inboundFirst(b.e) || (a.e.id < b.e.id ? -1 : a.e.id > b.e.id ? 1 : 0);
}

/** Deterministic JSON (sorted keys) to pick one of two conflicting events with the same id independently of order. */
function canonical(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

/**
 * Incremental invoice rating for one plan and one period: feed events and THINGS rows in any
 * order and in any batches, then build(). Rating is a pure function of the set of inputs.
 */
export class InvoiceBuilder {
  readonly plan: PricePlan;
  readonly period: Period;
  private readonly clock?: Clock;
  private readonly byId = new Map<string, ParsedEvent>();
  private readonly problems: Array<EventProblem & { index: number; id?: string }> = [];
  private duplicates = 0;
  private eventIndex = 0;
  private readonly data?: DataUsageAccumulator;
  private readonly sims?: SimFeesAccumulator;
  private readonly smsMt = new Map<string, SmsMtRow>();

  constructor(plan: PricePlan | unknown, periodId: string, clock?: Clock) {
    this.plan = assertPlan(plan);
    this.period = monthPeriod(periodId, this.plan.timeZone);
    this.clock = clock;
    if (this.plan.things) {
      this.data = new DataUsageAccumulator(this.plan.things.data, this.period);
      this.sims = new SimFeesAccumulator(this.plan.things, this.period);
    }
  }

  /** Adds one raw event; invalid ones are collected and reported together by build(). */
  addEvent(raw: unknown): void {
    const index = this.eventIndex++;
    const parsed = parseEvent(raw);
    if (!parsed.ok) {
      const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
      for (const p of parsed.problems) this.problems.push({ ...p, index, id });
      return;
    }
    const e = parsed.event;
    const prev = this.byId.get(e.id);
    if (prev === undefined) {
      this.byId.set(e.id, e);
      return;
    }
    this.duplicates++;
    // A redelivered event is identical; if two differ, keep the canonically smaller so the result never depends on arrival order.
    if (canonical(e) < canonical(prev)) this.byId.set(e.id, e);
  }

  addEvents(events: Iterable<unknown>): this {
    for (const e of events) this.addEvent(e);
    return this;
  }

  private things(): { data: DataUsageAccumulator; sims: SimFeesAccumulator } {
    if (!this.data || !this.sims) throw new RangeError(`plan ${this.plan.id} has no THINGS pricing but THINGS input was given`);
    return { data: this.data, sims: this.sims };
  }

  addSim(r: SimRecord): void {
    this.things().sims.addSim(r);
  }
  addSimStatus(c: SimStatusChange): void {
    this.things().sims.addStatus(c);
  }
  addSimActiveInterval(i: SimActiveInterval): void {
    this.things().sims.addInterval(i);
  }
  addDataSession(row: DataSessionRow): void {
    this.things().data.add(row);
  }
  addSmsMt(row: SmsMtRow): void {
    const prev = this.smsMt.get(row.messageId);
    if (!prev || canonical(row) < canonical(prev)) this.smsMt.set(row.messageId, row);
  }

  addThings(input: ThingsInput): this {
    for (const r of input.sims ?? []) this.addSim(r);
    for (const c of input.lifecycle ?? []) this.addSimStatus(c);
    for (const i of input.activeIntervals ?? []) this.addSimActiveInterval(i);
    for (const s of input.dataSessions ?? []) this.addDataSession(s);
    for (const m of input.smsMt ?? []) this.addSmsMt(m);
    return this;
  }

  build(): Invoice {
    if (this.problems.length) throw new EventValidationError(this.problems);
    const { plan, period } = this;
    const now = this.clock?.now().getTime();
    const asOf = now === undefined ? period.end : Math.min(now, period.end);
    const rounding: Rounding = { decimals: plan.rounding?.decimals ?? currencyMinorUnit(plan.currency), mode: plan.rounding?.mode ?? 'half-up' };
    const sink = new LineSink();

    // Classify: rejected events are never billed; blocked ones are neither billed nor counted (but Signals reports them).
    const signalsChannels = new Set<string>(plan.signals?.channels ?? DEFAULT_SIGNALS_CHANNELS);
    let rejected = 0;
    let blocked = 0;
    let regularInteractions = 0;
    let blockedInteractions = 0;
    const byChannel = new Map<Channel, Array<Timed<BillableEvent>>>();
    for (const e of this.byId.values()) {
      const t = parseInstant(e.at);
      if (t >= period.end) continue;
      const inPeriod = t >= period.start;
      if (e.rejected) {
        if (inPeriod) rejected++;
        continue;
      }
      const interaction = inPeriod && signalsChannels.has(e.channel) && (INTERACTION_TYPES[e.channel as SignalsChannel] ?? []).includes(e.type);
      if (e.blocked) {
        if (inPeriod) blocked++;
        if (interaction) blockedInteractions++;
        continue;
      }
      if (interaction) regularInteractions++;
      let list = byChannel.get(e.channel);
      if (!list) byChannel.set(e.channel, (list = []));
      list.push({ t, e });
    }
    for (const list of byChannel.values()) list.sort(compareTimed);

    const thingsSmsMt: CountItem[] = [];
    for (const id of [...this.smsMt.keys()].sort()) {
      const row = this.smsMt.get(id)!;
      const t = instantMs(row.at);
      if (t < period.start || t >= period.end) continue;
      const interaction = signalsChannels.has('sms');
      if (row.blocked) {
        blocked++;
        if (interaction) blockedInteractions++;
        continue;
      }
      if (interaction) regularInteractions++;
      thingsSmsMt.push({ n: row.segments ?? 1, key: row.to, ref: `things-sms:${row.messageId}` });
    }

    const ctx: RatingContext = { plan, period, asOf, sink, events: byChannel, thingsSmsMt };
    if (this.sims && this.data) {
      this.sims.emit(sink);
      this.data.emit(sink);
    }
    rateConversations(ctx);
    rateRecordingStorage(ctx);
    rateConversationsApi(ctx);
    rateMoments(ctx);
    rateAnswers(ctx);
    rateMessaging(ctx, 'sms', 'SMS');
    rateMessaging(ctx, 'mms', 'MMS');
    rateMessaging(ctx, 'rcs', 'RCS');
    rateNumberLookup(ctx);
    rateNumbers(ctx);
    rateEmail(ctx);
    rateViber(ctx);
    rateViberBot(ctx);
    rateWhatsApp(ctx);
    rateUssd(ctx);
    ratePush(ctx);
    rateActiveUsers(ctx);
    rateKakao(ctx);
    rateVoice(ctx);
    if (plan.signals && regularInteractions > 0) {
      rateItems(
        sink,
        {
          product: 'signals',
          channel: 'signals',
          description: `Signals interactions, regular traffic (${blockedInteractions} blocked not billed)`,
          unit: 'interaction',
        },
        plan.signals.interactions,
        [{ n: regularInteractions, ref: 'signals' }],
        'interaction',
      );
    }

    // Stable product order; within a product, generation order (fixed rater order over sorted keys).
    const rank = (p: Product) => PRODUCTS.indexOf(p);
    const drafts = sink.lines.map((l, i) => ({ l, i })).sort((a, b) => rank(a.l.product) - rank(b.l.product) || a.i - b.i);
    const lines: InvoiceLine[] = [];
    const subtotal = new Map<Product, Decimal>();
    let total = ZERO;
    for (const { l } of drafts) {
      const amount = roundMoney(l.amount, rounding);
      lines.push({
        product: l.product,
        channel: l.channel,
        description: l.description,
        quantity: displayQuantity(l.quantity),
        unit: l.unit,
        unitPrice: plain(l.unitPrice.toSignificantDigits(20)),
        amount: money(amount, rounding),
      });
      subtotal.set(l.product, (subtotal.get(l.product) ?? ZERO).plus(amount));
      total = total.plus(amount);
    }
    const invoice: Invoice = {
      planId: plan.id,
      currency: plan.currency,
      period: { id: period.id, start: isoInZone(period.start, plan.timeZone), end: isoInZone(period.end, plan.timeZone), timeZone: plan.timeZone },
      lines,
      subtotals: PRODUCTS.filter((p) => subtotal.has(p)).map((p) => ({ product: p, amount: money(subtotal.get(p)!, rounding) })),
      total: money(total, rounding),
      unrated: sink.unrated(),
      stats: {
        events: this.byId.size,
        duplicateEvents: this.duplicates,
        rejectedEvents: rejected,
        blockedEvents: blocked,
        dataSessions: this.data?.rows ?? 0,
        duplicateDataSessions: this.data?.duplicates ?? 0,
      },
    };
    if (now !== undefined) {
      invoice.generatedAt = new Date(now).toISOString();
      invoice.provisional = now < period.end;
    }
    return invoice;
  }
}

/** Quantities are exact; a non-terminating one (e.g. 61 s in minutes) is shown to 10 decimals (enough for any whole KiB in MB), the amount uses the exact value. */
function displayQuantity(q: Decimal): string {
  return q.decimalPlaces() > 10 ? q.toDecimalPlaces(10).toFixed() : q.toFixed();
}

/**
 * Rates a month for one plan: every billable event of the catalogue plus THINGS SIM fees, data
 * traffic and SMS MT. Pure and deterministic; duplicates (same event id, same data session) never
 * change the total. Throws PlanValidationError / EventValidationError on bad input.
 */
export function rateInvoice(input: RateInvoiceInput): Invoice {
  const builder = new InvoiceBuilder(input.plan, input.period, input.clock);
  if (input.events) builder.addEvents(input.events);
  if (input.things) builder.addThings(input.things);
  return builder.build();
}

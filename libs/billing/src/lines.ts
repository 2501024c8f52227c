import type { Decimal } from 'decimal.js';
import { D, ZERO } from './decimal.js';
import { PrefixTable } from './destinations.js';
import { isDestination, isTiered, type DestinationPrice, type Price, type Rate } from './plan.js';
import { tierBands } from './tiers.js';

export type Product = 'things' | 'conversations' | 'conversations-api' | 'moments' | 'answers' | 'channels' | 'signals';
/** Invoice order of products (catalogue order, THINGS first). */
export const PRODUCTS: readonly Product[] = ['things', 'conversations', 'conversations-api', 'moments', 'answers', 'channels', 'signals'];

/** A line before rounding: the amount keeps full precision until the invoice rounds it once. */
export interface DraftLine {
  product: Product;
  channel: string;
  description: string;
  quantity: Decimal;
  unit: string;
  unitPrice: Decimal;
  amount: Decimal;
}

export interface Unrated {
  channel: string;
  type: string;
  reason: string;
  count: number;
  examples: string[];
}

export interface LineMeta {
  product: Product;
  channel: string;
  description: string;
  unit: string;
  /** Integer units per line unit (60 s per minute, bytes per MB …). Default 1. */
  divisor?: number;
}

/** Collects lines in generation order (deterministic: raters run in a fixed order over sorted keys) and unrated items. */
export class LineSink {
  readonly lines: DraftLine[] = [];
  private readonly unratedByKey = new Map<string, Unrated>();

  add(line: DraftLine): void {
    this.lines.push(line);
  }

  /** A fee or priced quantity: amount = quantity × unit price. */
  charge(meta: Omit<LineMeta, 'divisor'>, quantity: Decimal, unitPrice: Price | Decimal): void {
    if (quantity.isZero()) return;
    const price = new D(unitPrice);
    this.add({ ...meta, quantity, unitPrice: price, amount: quantity.times(price) });
  }

  unrate(channel: string, type: string, reason: string, ref: string, count = 1): void {
    const key = `${channel}\u0000${type}\u0000${reason}`;
    let u = this.unratedByKey.get(key);
    if (!u) {
      u = { channel, type, reason, count: 0, examples: [] };
      this.unratedByKey.set(key, u);
    }
    u.count += count;
    if (u.examples.length < 5) u.examples.push(ref);
  }

  unrated(): Unrated[] {
    return [...this.unratedByKey.values()]
      .map((u) => ({ ...u, examples: [...u.examples].sort() }))
      .sort((a, b) => (a.channel + a.type + a.reason < b.channel + b.type + b.reason ? -1 : 1));
  }
}

/** Integer units (messages, seconds, bytes, byte-days) with an optional number for destination lookup. */
export interface CountItem {
  n: number;
  key?: string;
  ref?: string;
}

function safeAdd(a: number, b: number): number {
  const s = a + b;
  if (!Number.isSafeInteger(s)) throw new RangeError(`integer quantity overflow (${a} + ${b}); split the batch`);
  return s;
}

const prefixTables = new WeakMap<DestinationPrice, PrefixTable<Price>>();

function prefixTable(d: DestinationPrice): PrefixTable<Price> {
  let t = prefixTables.get(d);
  if (!t) {
    t = new PrefixTable(d.prefixes);
    prefixTables.set(d, t);
  }
  return t;
}

function quantityOf(units: number, divisor: number | undefined): Decimal {
  const q = new D(units);
  return divisor && divisor !== 1 ? q.div(divisor) : q;
}

/** Emits the lines for a total quantity under a flat or tiered rate. */
export function emitQuantity(sink: LineSink, meta: LineMeta, rate: Price | Rate, units: number, label = meta.description): void {
  if (units === 0) return;
  const quantity = quantityOf(units, meta.divisor);
  const { divisor: _divisor, ...base } = meta;
  if (typeof rate === 'string') {
    sink.charge({ ...base, description: label }, quantity, rate);
    return;
  }
  if (isTiered(rate)) {
    for (const band of tierBands(quantity, rate)) {
      const range = `${band.from.toFixed()}–${band.upTo ? band.upTo.toFixed() : '∞'}`;
      const tierLabel = rate.mode === 'graduated' ? `${label} (tier ${range})` : `${label} (volume tier ${range}, whole quantity)`;
      sink.charge({ ...base, description: tierLabel }, band.quantity, band.unitPrice);
      if (!band.flatFee.isZero()) sink.charge({ ...base, description: `${tierLabel} flat fee`, unit: 'fee' }, new D(1), band.flatFee);
    }
    return;
  }
  // A destination rate reached without a number (e.g. a per-user count) uses its default.
  if (rate.default === undefined) throw new RangeError(`${label}: destination rate without default used for a quantity without destination`);
  sink.charge({ ...base, description: label }, quantity, rate.default);
}

/**
 * Rates integer items under any rate: flat and tiered rates price the summed quantity; a
 * destination rate groups items by longest matching prefix, one line per prefix.
 */
export function rateItems(sink: LineSink, meta: LineMeta, rate: Rate | undefined, items: Iterable<CountItem>, eventType: string): void {
  if (rate === undefined) {
    for (const it of items) sink.unrate(meta.channel, eventType, 'the plan has no price for this event', it.ref ?? '');
    return;
  }
  if (!isDestination(rate)) {
    let sum = 0;
    for (const it of items) sum = safeAdd(sum, it.n);
    emitQuantity(sink, meta, rate, sum);
    return;
  }
  const table = prefixTable(rate);
  const groups = new Map<string, { price: Price; sum: number }>();
  for (const it of items) {
    const hit = it.key === undefined ? undefined : table.match(it.key);
    const groupKey = hit ? hit.prefix : 'default';
    const price = hit ? hit.value : rate.default;
    if (price === undefined) {
      sink.unrate(meta.channel, eventType, `no price for destination ${it.key ?? '(none)'} and no default`, it.ref ?? '');
      continue;
    }
    const g = groups.get(groupKey);
    if (g) g.sum = safeAdd(g.sum, it.n);
    else groups.set(groupKey, { price, sum: it.n });
  }
  // Prefix lines in code order, the default line last: independent of event order.
  const keys = [...groups.keys()].sort((a, b) => (a === 'default' ? 1 : b === 'default' ? -1 : a < b ? -1 : a > b ? 1 : 0));
  for (const k of keys) {
    const g = groups.get(k)!;
    const label = k === 'default' ? `${meta.description}, other destinations` : `${meta.description} to ${k}`;
    emitQuantity(sink, meta, g.price, g.sum, label);
  }
}

/** Unrounded amount of a quantity under a non-destination rate (used for minimum-commitment comparisons). */
export function amountOf(rate: Price | Rate, units: number, divisor = 1): Decimal {
  const sink = new LineSink();
  emitQuantity(sink, { product: 'channels', channel: '', description: '', unit: '', divisor }, rate, units);
  return sink.lines.reduce((acc, l) => acc.plus(l.amount), ZERO);
}

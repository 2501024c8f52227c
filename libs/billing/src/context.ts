import type { BillableEvent, Channel } from './events.js';
import type { CountItem, LineSink } from './lines.js';
import type { PricePlan } from './plan.js';
import type { Period } from './time.js';
import type { Timed } from './windows.js';

export type Ev<C extends Channel, T extends string = string> = Extract<BillableEvent, { channel: C; type: T }>;

/** What every channel rater sees: the validated plan, the period, and its channel's events sorted. */
export interface RatingContext {
  plan: PricePlan;
  period: Period;
  /** Open-ended things (storage, rentals) are counted up to this instant: min(period end, clock). */
  asOf: number;
  sink: LineSink;
  /** Non-blocked, non-rejected events with at < period end, sorted by (at, inbound first, id). */
  events: ReadonlyMap<Channel, ReadonlyArray<Timed<BillableEvent>>>;
  /** SMS MT segments fed through the THINGS input. */
  thingsSmsMt: CountItem[];
}

export function inPeriod(ctx: RatingContext, t: number): boolean {
  return t >= ctx.period.start && t < ctx.period.end;
}

export function eventsOf<C extends Channel>(ctx: RatingContext, channel: C): ReadonlyArray<Timed<Ev<C>>> {
  return (ctx.events.get(channel) ?? []) as ReadonlyArray<Timed<Ev<C>>>;
}

/** Events of one channel and types, optionally only those in the period. */
export function pick<C extends Channel, T extends Ev<C>['type']>(
  ctx: RatingContext,
  channel: C,
  types: readonly T[],
  periodOnly: boolean,
): Array<Timed<Ev<C, T>>> {
  const out: Array<Timed<Ev<C, T>>> = [];
  for (const item of eventsOf(ctx, channel)) {
    if ((types as readonly string[]).includes(item.e.type) && (!periodOnly || inPeriod(ctx, item.t))) out.push(item as unknown as Timed<Ev<C, T>>); // narrowed by the type check above
  }
  return out;
}

import type { Decimal } from 'decimal.js';
import { D } from './decimal.js';
import { networkCountry, normaliseMcc, normaliseMnc } from './destinations.js';
import { overlaps } from './intervals.js';
import { emitQuantity, type LineSink } from './lines.js';
import type { DataPricing, PricePlan, ThingsPricing } from './plan.js';
import { tieredAmount } from './tiers.js';
import { instantMs, type Period } from './time.js';

/** One SIM's provisioning facts. Only these records start the one-time activation fee. */
export interface SimRecord {
  iccid: string;
  /** Allocation to the client (order fulfilment). */
  allocatedAt?: string | null;
  /** First time the SIM ever became active. */
  firstActivatedAt?: string | null;
}

/** A lifecycle history entry: from `at` on, the SIM is in `status` (active | suspended | terminated | …). */
export interface SimStatusChange {
  iccid: string;
  status: string;
  at: string;
}

/** Alternatively, the intervals during which a SIM was active, [from, to). */
export interface SimActiveInterval {
  iccid: string;
  from: string;
  to?: string | null;
}

/** A data-session ledger row; counters are cumulative and final for the session (a later row of the same session supersedes an earlier one). */
export interface DataSessionRow {
  iccid: string;
  sessionId: string;
  startedAt: string;
  bytesUp: number | string;
  bytesDown: number | string;
  mcc: string | number;
  mnc: string | number;
}

/** An SMS MT (wake-up or MT) to a SIM, billed as an SMS MT per segment. */
export interface SmsMtRow {
  iccid: string;
  messageId: string;
  at: string;
  segments?: number;
  /** The SIM's MSISDN, for destination pricing; without it the SMS MT default price applies. */
  to?: string;
  blocked?: boolean;
}

/** Everything THINGS needs from the platform. Any iterable works, so the ledger can be streamed. */
export interface ThingsInput {
  sims?: Iterable<SimRecord>;
  lifecycle?: Iterable<SimStatusChange>;
  activeIntervals?: Iterable<SimActiveInterval>;
  dataSessions?: Iterable<DataSessionRow>;
  smsMt?: Iterable<SmsMtRow>;
}

export class RatingError extends Error {
  constructor(
    readonly code: 'UNKNOWN_ZONE' | 'NO_THINGS_PRICING' | 'INVALID_SESSION',
    message: string,
  ) {
    super(message);
    this.name = 'RatingError';
  }
}

export const DEFAULT_INCREMENT_BYTES = 1024;
export const DEFAULT_UNIT_BYTES = 1_048_576;

function bytesOf(value: number | string, field: string): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RatingError('INVALID_SESSION', `${field} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Visited network → zone, cached per MCC-MNC (the hot path sees a few hundred networks). */
export class ZoneResolver {
  private readonly cache = new Map<string, { zone: string | null; country: string | null }>();

  constructor(private readonly data: DataPricing) {}

  resolve(mcc: string | number, mnc: string | number): { zone: string | null; country: string | null } {
    const key = `${mcc}-${mnc}`;
    let hit = this.cache.get(key);
    if (!hit) {
      const m = normaliseMcc(mcc);
      const country = networkCountry(m, normaliseMnc(mnc), this.data.networkCountries) ?? null;
      const zone = (country !== null ? this.data.countryZones[country] : undefined) ?? this.data.defaultZone ?? null;
      hit = { zone, country };
      this.cache.set(key, hit);
    }
    return hit;
  }
}

export function roundUpBytes(bytes: number, increment: number): number {
  if (bytes <= 0) return 0;
  const rem = bytes % increment;
  return rem === 0 ? bytes : bytes - rem + increment;
}

const resolvers = new WeakMap<DataPricing, ZoneResolver>();

function resolverFor(data: DataPricing): ZoneResolver {
  let r = resolvers.get(data);
  if (!r) {
    r = new ZoneResolver(data);
    resolvers.set(data, r);
  }
  return r;
}

export interface RatedDataSession {
  zone: string;
  country: string | null;
  billableBytes: number;
  /** Unrounded. For a tiered zone this is the session priced alone; the invoice tiers the zone's monthly total. */
  amount: Decimal;
}

/**
 * Rates one data session by the zone of its visited network: (bytes up + down) rounded up to the
 * plan's increment, priced per unit of the zone. Throws RatingError UNKNOWN_ZONE when the
 * network's country has no zone and the plan has no default zone.
 */
export function rateDataSession(
  plan: PricePlan,
  session: Pick<DataSessionRow, 'bytesUp' | 'bytesDown' | 'mcc' | 'mnc'> & Partial<DataSessionRow>,
): RatedDataSession {
  const things = plan.things;
  if (!things) throw new RatingError('NO_THINGS_PRICING', `plan ${plan.id} has no THINGS pricing`);
  const data = things.data;
  const { zone, country } = resolverFor(data).resolve(session.mcc, session.mnc);
  if (zone === null) {
    throw new RatingError('UNKNOWN_ZONE', `no zone for network ${session.mcc}-${session.mnc} (country ${country ?? 'unknown'}) and no default zone`);
  }
  const billableBytes = roundUpBytes(
    bytesOf(session.bytesUp, 'bytesUp') + bytesOf(session.bytesDown, 'bytesDown'),
    data.incrementBytes ?? DEFAULT_INCREMENT_BYTES,
  );
  const price = data.zones[zone]!;
  const quantity = new D(billableBytes).div(data.unitBytes ?? DEFAULT_UNIT_BYTES);
  const amount = typeof price === 'string' ? quantity.times(price) : tieredAmount(quantity, price);
  return { zone, country, billableBytes, amount };
}

/** Number of shards of the session de-duplication map (a single JS Map holds at most 2^24 entries). */
const SHARDS = 64;
const ZONE_BITS = 1024; // packed value = billableBytes × 1024 + zone index

/**
 * Streams data-session rows of one period into integer byte sums per zone. Bytes are integers, so
 * the hot path stays in exact integer arithmetic; money appears once per zone line.
 */
export class DataUsageAccumulator {
  private readonly resolver: ZoneResolver;
  private readonly zones: string[];
  private readonly zoneIndex = new Map<string, number>();
  private readonly sums: number[];
  private readonly seen: Array<Map<string, number>> = Array.from({ length: SHARDS }, () => new Map());
  private readonly increment: number;
  readonly unrated: Array<{ ref: string; reason: string }> = [];
  rows = 0;
  duplicates = 0;

  constructor(
    private readonly data: DataPricing,
    private readonly period: Pick<Period, 'start' | 'end'>,
  ) {
    this.resolver = resolverFor(data);
    this.zones = Object.keys(data.zones).sort();
    if (this.zones.length >= ZONE_BITS) throw new RangeError('too many zones');
    this.zones.forEach((z, i) => this.zoneIndex.set(z, i));
    this.sums = this.zones.map(() => 0);
    this.increment = data.incrementBytes ?? DEFAULT_INCREMENT_BYTES;
  }

  add(row: DataSessionRow): void {
    if (typeof row.iccid !== 'string' || typeof row.sessionId !== 'string')
      throw new RatingError('INVALID_SESSION', 'data session needs iccid and sessionId strings');
    const started = instantMs(row.startedAt);
    if (started < this.period.start || started >= this.period.end) return;
    this.rows++;
    const { zone } = this.resolver.resolve(row.mcc, row.mnc);
    const ref = `${row.iccid}/${row.sessionId}`;
    if (zone === null) {
      this.unrated.push({ ref, reason: `no zone for network ${row.mcc}-${row.mnc}` });
      return;
    }
    const z = this.zoneIndex.get(zone)!;
    const billable = roundUpBytes(bytesOf(row.bytesUp, 'bytesUp') + bytesOf(row.bytesDown, 'bytesDown'), this.increment);
    const packed = billable * ZONE_BITS + z;
    if (!Number.isSafeInteger(packed)) throw new RatingError('INVALID_SESSION', `session ${ref} is too large (${billable} bytes)`);
    const key = `${row.iccid}\u0000${row.sessionId}`;
    const shard = this.seen[key.charCodeAt(key.length - 1) & (SHARDS - 1)]!;
    const prev = shard.get(key);
    if (prev !== undefined) {
      this.duplicates++;
      // Cumulative counters: the largest row of a session is its final state.
      const prevBytes = Math.floor(prev / ZONE_BITS);
      if (billable <= prevBytes) return;
      const prevZone = prev - prevBytes * ZONE_BITS;
      this.sums[prevZone] = this.sums[prevZone]! - prevBytes;
    }
    shard.set(key, packed);
    const s = this.sums[z]! + billable;
    if (!Number.isSafeInteger(s)) throw new RangeError('data byte sum overflow');
    this.sums[z] = s;
  }

  bytesByZone(): Array<{ zone: string; bytes: number }> {
    return this.zones.map((zone, i) => ({ zone, bytes: this.sums[i]! })).filter((z) => z.bytes > 0);
  }

  emit(sink: LineSink): void {
    for (const { zone, bytes } of this.bytesByZone()) {
      emitQuantity(
        sink,
        {
          product: 'things',
          channel: 'data',
          description: `Data traffic, zone ${zone}`,
          unit: this.data.unitName ?? 'MB',
          divisor: this.data.unitBytes ?? DEFAULT_UNIT_BYTES,
        },
        this.data.zones[zone]!,
        bytes,
      );
    }
    for (const u of this.unrated) sink.unrate('data', 'session', u.reason, u.ref);
  }
}

/** One-time activation fees and monthly subscriptions of the period's SIMs. */
export class SimFeesAccumulator {
  private readonly firstDue = new Map<string, number>();
  private readonly statusAtStart = new Map<string, { at: number; status: string }>();
  private readonly active = new Set<string>();

  constructor(
    private readonly pricing: ThingsPricing,
    private readonly period: Pick<Period, 'start' | 'end'>,
  ) {}

  addSim(r: SimRecord): void {
    const raw = this.pricing.activationFeeAt === 'allocation' ? r.allocatedAt : r.firstActivatedAt;
    if (raw === undefined || raw === null) return;
    const at = instantMs(raw);
    const prev = this.firstDue.get(r.iccid);
    if (prev === undefined || at < prev) this.firstDue.set(r.iccid, at); // once per SIM, ever
  }

  addStatus(c: SimStatusChange): void {
    const at = instantMs(c.at);
    if (at <= this.period.start) {
      const prev = this.statusAtStart.get(c.iccid);
      if (!prev || at > prev.at || (at === prev.at && c.status > prev.status)) this.statusAtStart.set(c.iccid, { at, status: c.status });
    } else if (at < this.period.end && c.status === 'active') {
      this.active.add(c.iccid);
    }
  }

  addInterval(i: SimActiveInterval): void {
    const from = instantMs(i.from);
    const to = i.to === undefined || i.to === null ? Number.POSITIVE_INFINITY : instantMs(i.to);
    if (overlaps({ from, to }, this.period.start, this.period.end)) this.active.add(i.iccid);
  }

  activeSims(): string[] {
    const all = new Set(this.active);
    for (const [iccid, s] of this.statusAtStart) if (s.status === 'active') all.add(iccid);
    return [...all].sort();
  }

  activations(): string[] {
    return [...this.firstDue]
      .filter(([, at]) => at >= this.period.start && at < this.period.end)
      .map(([iccid]) => iccid)
      .sort();
  }

  emit(sink: LineSink): void {
    const activations = this.activations().length;
    const when = this.pricing.activationFeeAt === 'allocation' ? 'at allocation' : 'at first activation';
    sink.charge(
      { product: 'things', channel: 'sim', description: `SIM activation fee (one-time, ${when})`, unit: 'SIM' },
      new D(activations),
      this.pricing.activationFee,
    );
    sink.charge(
      { product: 'things', channel: 'sim', description: 'SIM monthly subscription (active at any time in the month)', unit: 'SIM' },
      new D(this.activeSims().length),
      this.pricing.monthlyFee,
    );
  }
}

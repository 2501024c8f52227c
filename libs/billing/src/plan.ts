import { z } from 'zod';
import { D, DECIMAL_STRING, isCurrencyCode, type RoundingMode } from './decimal.js';
import { isTimeZone, LOCAL_DATE_PATTERN } from './time.js';
import type { TieredPrice } from './tiers.js';

/** A money amount or unit price as a decimal string ("0.045"): JSON numbers are refused so no price ever passes through a float. */
export type Price = string;

/** Longest-prefix E.164 price list; `default` prices numbers matching no prefix. */
export interface DestinationPrice {
  prefixes: Record<string, Price>;
  default?: Price;
}

/** How a unit is priced: flat, by destination, or by tiers over the period's quantity. */
export type Rate = Price | DestinationPrice | TieredPrice;

/** SaaS package: monthly fee with included units, each unit above billed at `overage`. */
export interface PackagePrice {
  fee: Price;
  included: number;
  overage: Price;
}

export interface FixedFees {
  activationFee?: Price;
  monthlyFee?: Price;
}

export interface Increments {
  firstSeconds: number;
  nextSeconds: number;
}

export type NumberKind = 'long' | 'short' | 'toll-free' | 'voice';
export type WhatsAppCategory = 'utility' | 'authentication' | 'marketing' | 'service';
export type ActiveUserChannel = 'messenger' | 'telegram' | 'google-bm' | 'apple-bc';
export type SignalsChannel = 'sms' | 'mms' | 'rcs' | 'voice' | 'whatsapp' | 'viber' | 'email' | 'push';

export interface DataPricing {
  /** Each session's bytes (up + down) are rounded up to this increment. Default 1024 (1 KiB). */
  incrementBytes?: number;
  /** Bytes per priced unit. Default 1,048,576 (price per MiB, written "MB" on invoices). */
  unitBytes?: number;
  unitName?: string;
  /** Zone id → price per unit (flat or tiered over the zone's monthly quantity). */
  zones: Record<string, Price | TieredPrice>;
  /** ISO 3166-1 alpha-2 country → zone id. */
  countryZones: Record<string, string>;
  /** Exact MCC-MNC ("90128") → ISO country, overriding the MCC's country. */
  networkCountries?: Record<string, string>;
  /** Zone for countries absent from countryZones; without it such sessions are reported unrated. */
  defaultZone?: string;
}

export interface ThingsPricing {
  activationFee: Price;
  /** When the one-time activation fee falls due: first activation (default) or allocation to the client. */
  activationFeeAt: 'activation' | 'allocation';
  monthlyFee: Price;
  data: DataPricing;
}

export interface MessagingRates {
  mt?: Rate;
  mo?: Rate;
}

export interface PricePlan {
  id: string;
  name: string;
  /** ISO 4217 code; amounts are rounded to its minor unit unless `rounding.decimals` says otherwise. */
  currency: string;
  /** IANA time zone of the billing periods. */
  timeZone: string;
  rounding?: { decimals?: number; mode?: RoundingMode };
  things?: ThingsPricing;
  sms?: MessagingRates;
  mms?: MessagingRates;
  rcs?: MessagingRates;
  numberLookup?: { lookup: Rate };
  numbers?: Partial<Record<NumberKind, FixedFees>>;
  email?: { message: Rate };
  emailValidation?: { request: Rate };
  viber?: {
    message: Rate;
    session: Rate;
    /** Session-type messages covered by one 24 h session. Default 60. */
    sessionMaxMessages?: number;
    /** CMM: monthly minimum per active sender (service id). */
    minimumMonthlyPerSender?: Price;
  };
  viberBot?: { message: Rate };
  whatsapp?: {
    conversation: Partial<Record<WhatsAppCategory, Rate>>;
    senderMonthlyFee?: { cloud?: Price; hosted?: Price };
  };
  ussd?: { session: Rate; billUserInitiated?: boolean };
  push?: { notification: Rate };
  activeUsers?: Partial<Record<ActiveUserChannel, Rate>>;
  kakao?: { notificationTalk?: Rate; friendsTalk?: Rate; consultationSession?: Rate };
  voice?: { perMinute: Rate; increments?: Increments; amdRequest?: Price };
  byoc?: { setupFee?: Price; perMinute: Rate; increments?: Increments };
  recording?: {
    licence?: Price;
    /** Recording Limit: concurrent recorded calls. Default 10. */
    limit?: number;
    storagePerMinuteDay?: Price;
    conversationsStoragePerGbDay?: Price;
    /** Bytes in a billed GB. Default 1,000,000,000 (SI). */
    bytesPerGb?: number;
  };
  conversations?: {
    package: PackagePrice;
    /** First day of named-user pricing (YYYY-MM-DD, plan time zone): that month is prorated by day. */ startDate?: string;
  };
  conversationsApi?: { package: PackagePrice };
  moments?: { package: PackagePrice };
  answers?: { package: PackagePrice; /** Bot session timeout, at most 24 h (1440 min). */ sessionTimeoutMinutes: number };
  signals?: { interactions: Rate; channels?: SignalsChannel[] };
}

export interface PlanProblem {
  path: string;
  message: string;
}

const price = z
  .string({ error: 'price must be a decimal string such as "0.05"' })
  .max(40, 'price must be at most 40 characters')
  .regex(DECIMAL_STRING, 'price must be a decimal string such as "0.05"')
  .refine((s) => !s.startsWith('-'), 'negative price');

const quantity = z.string().max(40).regex(DECIMAL_STRING, 'tier bound must be a decimal string such as "1000"');

const tiered = z.object({
  mode: z.enum(['graduated', 'volume']),
  tiers: z.array(z.object({ from: quantity, upTo: quantity.nullable(), unitPrice: price, flatFee: price.optional() })).min(1, 'at least one tier'),
});

const destination = z.object({ prefixes: z.record(z.string(), price), default: price.optional() });
/**
 * A rate is dispatched on its shape before validation, so a bad tier reports "negative price" at
 * its own path instead of a vague "no union member matched".
 */
function shaped(choices: { string?: z.ZodType; tiers?: z.ZodType; prefixes?: z.ZodType }, expected: string): z.ZodType {
  return z.unknown().superRefine((value, ctx) => {
    const schema = typeof value === 'string' ? choices.string : isTiered(value) ? choices.tiers : isDestination(value) ? choices.prefixes : undefined;
    if (typeof value === 'number') {
      ctx.addIssue({ code: 'custom', message: `price must be a decimal string such as "${value}" in quotes: JSON numbers are binary floats` });
      return;
    }
    if (!schema) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}` });
      return;
    }
    for (const issue of schema.safeParse(value).error?.issues ?? []) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    }
  });
}

const rate = shaped({ string: price, tiers: tiered, prefixes: destination }, 'a price string, {prefixes, default?} or {mode, tiers}');
const zoneRate = shaped({ string: price, tiers: tiered }, 'a price string or {mode, tiers}');
const positiveInt = z.number().int().positive();
const pkg = z.object({ fee: price, included: z.number().int().nonnegative(), overage: price });
const fixedFees = z.object({ activationFee: price.optional(), monthlyFee: price.optional() });
const increments = z.object({ firstSeconds: positiveInt, nextSeconds: positiveInt });
const messaging = z.object({ mt: rate.optional(), mo: rate.optional() });

export const pricePlanSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  currency: z.string().max(3),
  timeZone: z.string().max(64),
  rounding: z
    .object({ decimals: z.number().int().min(0).max(12).optional(), mode: z.enum(['half-up', 'half-even', 'up', 'down']).optional() })
    .optional(),
  things: z
    .object({
      activationFee: price,
      activationFeeAt: z.enum(['activation', 'allocation']),
      monthlyFee: price,
      data: z.object({
        incrementBytes: positiveInt.optional(),
        unitBytes: positiveInt.optional(),
        unitName: z.string().min(1).max(50).optional(),
        zones: z.record(z.string(), zoneRate),
        countryZones: z.record(z.string().regex(/^[A-Z]{2}$/, 'country must be ISO 3166-1 alpha-2'), z.string().max(64)),
        networkCountries: z
          .record(
            z.string().regex(/^\d{3}-?\d{2,3}$/, 'key must be an MCC-MNC such as "20801"'),
            z
              .string()
              .max(64)
              .regex(/^[A-Z]{2}$/),
          )
          .optional(),
        defaultZone: z.string().max(64).optional(),
      }),
    })
    .optional(),
  sms: messaging.optional(),
  mms: messaging.optional(),
  rcs: messaging.optional(),
  numberLookup: z.object({ lookup: rate }).optional(),
  numbers: z
    .object({ long: fixedFees.optional(), short: fixedFees.optional(), 'toll-free': fixedFees.optional(), voice: fixedFees.optional() })
    .optional(),
  email: z.object({ message: rate }).optional(),
  emailValidation: z.object({ request: rate }).optional(),
  viber: z.object({ message: rate, session: rate, sessionMaxMessages: positiveInt.optional(), minimumMonthlyPerSender: price.optional() }).optional(),
  viberBot: z.object({ message: rate }).optional(),
  whatsapp: z
    .object({
      conversation: z.object({ utility: rate.optional(), authentication: rate.optional(), marketing: rate.optional(), service: rate.optional() }),
      senderMonthlyFee: z.object({ cloud: price.optional(), hosted: price.optional() }).optional(),
    })
    .optional(),
  ussd: z.object({ session: rate, billUserInitiated: z.boolean().optional() }).optional(),
  push: z.object({ notification: rate }).optional(),
  activeUsers: z
    .object({ messenger: rate.optional(), telegram: rate.optional(), 'google-bm': rate.optional(), 'apple-bc': rate.optional() })
    .optional(),
  kakao: z.object({ notificationTalk: rate.optional(), friendsTalk: rate.optional(), consultationSession: rate.optional() }).optional(),
  voice: z.object({ perMinute: rate, increments: increments.optional(), amdRequest: price.optional() }).optional(),
  byoc: z.object({ setupFee: price.optional(), perMinute: rate, increments: increments.optional() }).optional(),
  recording: z
    .object({
      licence: price.optional(),
      limit: positiveInt.optional(),
      storagePerMinuteDay: price.optional(),
      conversationsStoragePerGbDay: price.optional(),
      bytesPerGb: positiveInt.optional(),
    })
    .optional(),
  conversations: z
    .object({ package: pkg, startDate: z.string().max(10).regex(LOCAL_DATE_PATTERN, 'startDate must be YYYY-MM-DD').optional() })
    .optional(),
  conversationsApi: z.object({ package: pkg }).optional(),
  moments: z.object({ package: pkg }).optional(),
  answers: z
    .object({
      package: pkg,
      sessionTimeoutMinutes: z
        .number()
        .positive()
        .max(24 * 60, 'session timeout exceeds the 24 h maximum (1440 min)'),
    })
    .optional(),
  signals: z
    .object({
      interactions: rate,
      channels: z
        .array(z.enum(['sms', 'mms', 'rcs', 'voice', 'whatsapp', 'viber', 'email', 'push']))
        .max(8)
        .optional(),
    })
    .optional(),
});

function pathOf(parts: ReadonlyArray<PropertyKey>): string {
  return parts.map(String).join('.') || '(root)';
}

function isTiered(r: unknown): r is TieredPrice {
  return typeof r === 'object' && r !== null && 'tiers' in r;
}

function isDestination(r: unknown): r is DestinationPrice {
  return typeof r === 'object' && r !== null && 'prefixes' in r;
}

/** Tiers must start at 0, be contiguous (each `from` = previous `upTo`), grow, and end unbounded. */
export function checkTiers(t: TieredPrice, path: string): PlanProblem[] {
  const problems: PlanProblem[] = [];
  t.tiers.forEach((tier, i) => {
    const p = `${path}.tiers.${i}`;
    const from = new D(tier.from);
    if (i === 0 && !from.isZero()) problems.push({ path: `${p}.from`, message: `first tier must start at 0, not ${tier.from}` });
    if (from.isNeg()) problems.push({ path: `${p}.from`, message: 'tier bound must not be negative' });
    if (tier.upTo !== null && !new D(tier.upTo).gt(from)) {
      problems.push({ path: `${p}.upTo`, message: `upTo (${tier.upTo}) must be greater than from (${tier.from})` });
    }
    if (tier.upTo === null && i < t.tiers.length - 1)
      problems.push({ path: `${p}.upTo`, message: 'only the last tier may be unbounded (upTo: null)' });
    if (i > 0) {
      const prev = t.tiers[i - 1]!;
      if (prev.upTo !== null) {
        const prevUp = new D(prev.upTo);
        if (from.lt(prevUp))
          problems.push({
            path: `${p}.from`,
            message: `overlapping tiers: tier ${i} starts at ${tier.from} but tier ${i - 1} runs up to ${prev.upTo}`,
          });
        if (from.gt(prevUp))
          problems.push({ path: `${p}.from`, message: `gap between tiers: tier ${i - 1} ends at ${prev.upTo} but tier ${i} starts at ${tier.from}` });
      }
    }
  });
  const last = t.tiers[t.tiers.length - 1];
  if (last && last.upTo !== null)
    problems.push({
      path: `${path}.tiers.${t.tiers.length - 1}.upTo`,
      message: 'last tier must be unbounded (upTo: null) so every quantity has a price',
    });
  return problems;
}

function checkDestination(d: DestinationPrice, path: string): PlanProblem[] {
  const problems: PlanProblem[] = [];
  for (const prefix of Object.keys(d.prefixes)) {
    if (!/^\+?\d{1,15}$/.test(prefix))
      problems.push({ path: `${path}.prefixes.${prefix}`, message: `prefix must be E.164 digits such as "+33", got "${prefix}"` });
  }
  return problems;
}

/** Walks every value and checks each tiered or destination rate it finds. */
function checkRates(value: unknown, path: string[], problems: PlanProblem[]): void {
  if (typeof value !== 'object' || value === null) return;
  if (isTiered(value)) {
    problems.push(...checkTiers(value, pathOf(path)));
    return;
  }
  if (isDestination(value)) {
    problems.push(...checkDestination(value, pathOf(path)));
    return;
  }
  for (const [k, v] of Object.entries(value)) checkRates(v, [...path, k], problems);
}

function semanticProblems(plan: PricePlan): PlanProblem[] {
  const problems: PlanProblem[] = [];
  if (!isCurrencyCode(plan.currency)) problems.push({ path: 'currency', message: `unknown ISO 4217 currency "${plan.currency}"` });
  if (!isTimeZone(plan.timeZone)) problems.push({ path: 'timeZone', message: `unknown IANA time zone "${plan.timeZone}"` });
  checkRates(plan, [], problems);

  const data = plan.things?.data;
  if (data) {
    for (const [country, zone] of Object.entries(data.countryZones)) {
      if (!(zone in data.zones))
        problems.push({
          path: `things.data.countryZones.${country}`,
          message: `unknown zone "${zone}" (zones: ${Object.keys(data.zones).join(', ') || 'none'})`,
        });
    }
    if (data.defaultZone !== undefined && !(data.defaultZone in data.zones)) {
      problems.push({ path: 'things.data.defaultZone', message: `unknown zone "${data.defaultZone}"` });
    }
    if (Object.keys(data.zones).length === 0) problems.push({ path: 'things.data.zones', message: 'at least one zone is required' });
  }
  if (plan.answers && plan.answers.sessionTimeoutMinutes > 24 * 60) {
    problems.push({
      path: 'answers.sessionTimeoutMinutes',
      message: `session timeout ${plan.answers.sessionTimeoutMinutes} min exceeds the 24 h maximum (1440 min)`,
    });
  }
  const start = plan.conversations?.startDate;
  if (start !== undefined) {
    const [y, m, d] = start.split('-').map(Number) as [number, number, number];
    const check = new Date(Date.UTC(y, m - 1, d));
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) {
      problems.push({ path: 'conversations.startDate', message: `not a calendar date: ${start}` });
    }
  }
  return problems;
}

/**
 * Semantic checks on input that failed the schema. Where the input is too malformed for a check to
 * read it (e.g. a tier bound that is not a decimal), that check cannot run: the structural problems
 * already name that place, so nothing is lost from the answer.
 */
function semanticProblemsOfRaw(input: unknown): PlanProblem[] {
  if (typeof input !== 'object' || input === null) return [];
  try {
    return semanticProblems(input as PricePlan);
  } catch {
    return [];
  }
}

export type PlanValidation = { ok: true; plan: PricePlan; problems: [] } | { ok: false; problems: PlanProblem[] };

/** Structural (zod) then semantic checks; every problem is reported, not only the first. */
export function validatePlan(input: unknown): PlanValidation {
  const parsed = pricePlanSchema.safeParse(input);
  if (!parsed.success) {
    const structural = parsed.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message }));
    // Semantic checks (overlapping tiers, unknown zones…) run too, so one answer lists every problem.
    const seen = new Set(structural.map((p) => p.path));
    return { ok: false, problems: [...structural, ...semanticProblemsOfRaw(input).filter((p) => !seen.has(p.path))] };
  }
  const plan = parsed.data as PricePlan;
  const problems = semanticProblems(plan);
  return problems.length ? { ok: false, problems } : { ok: true, plan, problems: [] };
}

export class PlanValidationError extends Error {
  constructor(readonly problems: PlanProblem[]) {
    super(`invalid price plan:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'PlanValidationError';
  }
}

export function assertPlan(input: unknown): PricePlan {
  const v = validatePlan(input);
  if (!v.ok) throw new PlanValidationError(v.problems);
  return v.plan;
}

export { isDestination, isTiered };

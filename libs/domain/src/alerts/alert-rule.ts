import '../validation-messages.js';
import { z } from 'zod';
import type { FieldProblem } from '../errors/domain-error.js';
import type { SimBlock } from '../sims/sim-lifecycle.js';
import { USAGE_PERIODS } from './periods.js';

export const ALERT_RULE_TYPES = [
  'data_usage_limit',
  'imei_change',
  'impossible_travel',
  'geofence',
  'usage_spike',
  'new_country',
  'connection_storm',
  'silent',
] as const;
export type AlertRuleType = (typeof ALERT_RULE_TYPES)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export const severityRank = (s: AlertSeverity): number => ALERT_SEVERITIES.indexOf(s);

export const ALERT_ACTIONS = ['notify', 'block'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** The system block a rule with `action: block` places on the SIM; rules absent here can only notify. */
export const RULE_BLOCK: Partial<Record<AlertRuleType, SimBlock>> = {
  data_usage_limit: 'data_limit_exceeded',
  imei_change: 'unauthorized_imei',
};

/** Rules evaluated on telemetry records by the ingestion worker; the others by the scheduled scan. */
export const RECORD_DRIVEN: ReadonlySet<AlertRuleType> = new Set([
  'data_usage_limit',
  'imei_change',
  'impossible_travel',
  'geofence',
  'usage_spike',
  'new_country',
]);
export const TIME_DRIVEN: ReadonlySet<AlertRuleType> = new Set(['data_usage_limit', 'silent', 'connection_storm']);

/** Which SIMs a rule watches: one SIM, a group, a tag (`key:value`) or the whole account (`{}`). */
export type AlertScope = { iccid: string } | { groupId: string } | { tag: string } | Record<string, never>;

const TAG = /^([^:\s][^:]{0,63}):(.{1,256})$/;
export const parseTag = (tag: string): { key: string; value: string } | null => {
  const match = TAG.exec(tag);
  return match ? { key: match[1], value: match[2] } : null;
};

const scopeSchema = z.union([
  z.object({ iccid: z.string().regex(/^\d{18,22}$/, 'an ICCID: 18 to 22 digits') }).strict(),
  z.object({ groupId: z.string().min(1).max(64) }).strict(),
  z.object({ tag: z.string().regex(TAG, 'a tag as key:value, e.g. site:lyon') }).strict(),
  z.object({}).strict(),
]);

const lat = z.number().min(-90, 'a latitude from -90 to 90').max(90, 'a latitude from -90 to 90');
const lon = z.number().min(-180, 'a longitude from -180 to 180').max(180, 'a longitude from -180 to 180');
const position = z.tuple([lon, lat], { error: 'a position [lon, lat]' });
const ring = z
  .array(position)
  .min(4, 'a linear ring has at least 4 positions')
  .max(10_000)
  .refine(
    (r) => r.length < 2 || (r[0][0] === r[r.length - 1][0] && r[0][1] === r[r.length - 1][1]),
    'a linear ring is closed: its last position repeats its first',
  );

export const RULE_PARAMS = {
  data_usage_limit: z
    .object({
      limitBytes: z
        .number()
        .int('a whole number of bytes')
        .min(1)
        .max(Number.MAX_SAFE_INTEGER)
        .optional()
        .describe("Omitted: the SIM's effective monthly limit (its own, else its group's) applies"),
      period: z.enum(USAGE_PERIODS).default('month'),
      warnAtPercent: z.number().int().min(1).max(99).optional(),
    })
    .strict()
    .refine((p) => p.limitBytes !== undefined || p.period === 'month', {
      message: 'a day period needs limitBytes (the group policy limit is monthly)',
      path: ['limitBytes'],
    }),
  imei_change: z.object({}).strict(),
  impossible_travel: z.object({ maxKmh: z.number().positive().max(100_000) }).strict(),
  geofence: z
    .object({
      circle: z
        .object({ lat, lon, radiusM: z.number().positive().max(20_000_000) })
        .strict()
        .optional(),
      polygon: z
        .object({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1).max(100) })
        .strict()
        .optional(),
      on: z.enum(['exit', 'enter']),
    })
    .strict()
    .refine((p) => (p.circle === undefined) !== (p.polygon === undefined), { message: 'exactly one of circle or polygon', path: ['circle'] }),
  usage_spike: z
    .object({
      factor: z.number().gt(1, 'a factor above 1').max(1_000_000),
      minHistory: z.number().int().min(1).max(1000).default(5),
      per: z.enum(['session', 'day']).default('session'),
    })
    .strict(),
  new_country: z
    .object({
      allowedCountries: z
        .array(
          z
            .string()
            .max(64)
            .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as FR'),
        )
        .min(1)
        .max(300)
        .optional(),
    })
    .strict(),
  connection_storm: z.object({ maxConnectsPerHour: z.number().int().min(1).max(1_000_000) }).strict(),
  silent: z.object({ hours: z.number().positive().max(8760) }).strict(),
} satisfies Record<AlertRuleType, z.ZodType>;

export type RuleParams = { [T in AlertRuleType]: z.output<(typeof RULE_PARAMS)[T]> };
export type DataUsageLimitParams = RuleParams['data_usage_limit'];
export type GeofenceParams = RuleParams['geofence'];

export interface AlertRule<T extends AlertRuleType = AlertRuleType> {
  id: string;
  accountId: string;
  name: string | null;
  type: T;
  scope: AlertScope;
  severity: AlertSeverity;
  action: AlertAction;
  enabled: boolean;
  params: RuleParams[T];
  createdAt: Date;
  updatedAt: Date;
}

/** A rule as submitted (POST) or merged with a PATCH, before it is stored. */
export interface AlertRuleDraft {
  name: string | null;
  type: AlertRuleType;
  scope: AlertScope;
  severity: AlertSeverity;
  action: AlertAction;
  enabled: boolean;
  params: RuleParams[AlertRuleType];
}

const draftSchema = z
  .object({
    name: z.string().trim().min(1).max(200).nullable().default(null),
    type: z.enum(ALERT_RULE_TYPES),
    scope: scopeSchema.default({}),
    severity: z.enum(ALERT_SEVERITIES).default('warning'),
    action: z.enum(ALERT_ACTIONS).default('notify'),
    enabled: z.boolean().default(true),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const patchSchema = z
  .object({
    name: z.string().trim().min(1).max(200).nullable(),
    scope: scopeSchema,
    severity: z.enum(ALERT_SEVERITIES),
    action: z.enum(ALERT_ACTIONS),
    enabled: z.boolean(),
    params: z.record(z.string(), z.unknown()),
  })
  .partial()
  .strict();
export type AlertRulePatch = z.infer<typeof patchSchema>;

/** The parameter names of a rule type (`limitBytes`, `maxKmh`, …). */
const paramNamesOf = (type: AlertRuleType): string[] => {
  const schema = RULE_PARAMS[type] as z.ZodType;
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
};

/**
 * One problem per field; an unknown field is named itself, with the fix when it is a parameter put at the
 * top level (`limitBytes` belongs under `params`).
 */
const issuesToFields = (issues: z.core.$ZodIssue[], prefix: string[] = [], type?: AlertRuleType): FieldProblem[] =>
  issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code !== 'unrecognized_keys') return [{ field: path.join('/') || '(body)', message: issue.message }];
    return issue.keys.map((key) => {
      const misplaced = !path.length && !prefix.length && (type ? paramNamesOf(type) : ALERT_RULE_TYPES.flatMap(paramNamesOf)).includes(key);
      return {
        field: [...path, key].join('/'),
        message: misplaced
          ? `unknown field: ${key} is a parameter of the rule${type ? ` (${type})` : ''} and belongs under params, as params.${key}`
          : 'unknown field',
      };
    });
  });

/**
 * Validates a whole rule: the common fields, the params of its type and whether its action fits the type.
 * Every problem is listed at once (`params/maxKmh`, `action`, …).
 */
export function parseRuleDraft(input: unknown): { ok: true; draft: AlertRuleDraft } | { ok: false; errors: FieldProblem[] } {
  const base = draftSchema.safeParse(input ?? undefined);
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const type = ALERT_RULE_TYPES.find((t) => t === raw.type);
  const errors: FieldProblem[] = base.success ? [] : issuesToFields(base.error.issues, [], type);
  let params: RuleParams[AlertRuleType] | undefined;
  if (type) {
    const parsed = RULE_PARAMS[type].safeParse(raw.params ?? {});
    if (parsed.success) params = parsed.data;
    else errors.push(...issuesToFields(parsed.error.issues, ['params']).filter((e) => !errors.some((o) => o.field === e.field)));
    if (raw.action === 'block' && !RULE_BLOCK[type]) {
      errors.push({
        field: 'action',
        message: `block is available for ${Object.keys(RULE_BLOCK).join(' and ')} rules; a ${type} rule can only notify`,
      });
    }
  }
  if (errors.length || !base.success || !params) return { ok: false, errors };
  return { ok: true, draft: { ...base.data, scope: base.data.scope as AlertScope, params } };
}

/** Applies a PATCH to a stored rule and validates the result as a whole (the type never changes). */
export function parseRulePatch(rule: AlertRule, input: unknown): { ok: true; draft: AlertRuleDraft } | { ok: false; errors: FieldProblem[] } {
  const patch = patchSchema.safeParse(input);
  if (!patch.success) {
    const fields = issuesToFields(patch.error.issues, [], rule.type);
    return {
      ok: false,
      errors: fields.map((f) => (f.field === 'type' ? { field: 'type', message: 'the type of a rule cannot change: create a new rule' } : f)),
    };
  }
  const merged = {
    name: patch.data.name !== undefined ? patch.data.name : rule.name,
    type: rule.type,
    scope: patch.data.scope ?? rule.scope,
    severity: patch.data.severity ?? rule.severity,
    action: patch.data.action ?? rule.action,
    enabled: patch.data.enabled ?? rule.enabled,
    params: patch.data.params ?? rule.params,
  };
  return parseRuleDraft(merged);
}

export const scopeKind = (scope: AlertScope): 'sim' | 'group' | 'tag' | 'account' =>
  'iccid' in scope ? 'sim' : 'groupId' in scope ? 'group' : 'tag' in scope ? 'tag' : 'account';

/** The facts of a SIM a scope is matched against. */
export interface ScopedSim {
  iccid: string;
  groupId: string | null;
  tags: Record<string, string>;
}

export function ruleApplies(rule: Pick<AlertRule, 'scope' | 'enabled'>, sim: ScopedSim): boolean {
  if (!rule.enabled) return false;
  const scope = rule.scope;
  if ('iccid' in scope) return scope.iccid === sim.iccid;
  if ('groupId' in scope) return scope.groupId === sim.groupId;
  if ('tag' in scope) {
    const tag = parseTag(scope.tag);
    return tag !== null && sim.tags[tag.key] === tag.value;
  }
  return true;
}

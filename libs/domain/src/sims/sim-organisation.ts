import type { FieldProblem } from '../errors/domain-error.js';
import { imeiProblem } from './identifiers.js';

/** ISO 3166-1 alpha-2 country codes (officially assigned), as `allowedCountries` and the `country` filter take them. */
const ISO_COUNTRIES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO ' +
    'JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR ' +
    'MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO ' +
    'RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV ' +
    'TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

export const isCountryCode = (value: string): boolean => ISO_COUNTRIES.has(value);

export const SIM_NAME_MAX = 64;
export const TAG_LIMITS = { maxTags: 50, keyMax: 64, valueMax: 256 } as const;
export const LABEL_LIMITS = { maxLabels: 50, labelMax: 64 } as const;
export const MAX_AUTHORIZED_IMEIS = 20;

/** Paths under /v1/sims that are not SIMs: a SIM with one of these names could not be read by its name. */
export const RESERVED_SIM_NAMES: readonly string[] = ['summary', 'export', 'bulk'];

/**
 * Why a SIM name is not acceptable, or null. A name stands in for the ICCID in every `/v1/sims/{iccid}`
 * path, so it may never look like one (19–20 digits) and must be safe in a URL path segment.
 */
export function simNameProblem(name: string): string | null {
  if (name.length === 0 || name.length > SIM_NAME_MAX) return `a name is 1 to ${SIM_NAME_MAX} characters`;
  if (name.trim() !== name) return 'a name does not start or end with a space';
  if (/^\d{19,20}$/.test(name)) return 'a name may not be 19–20 digits: it would read as an ICCID';
  if (/[/?#%\\\p{Cc}]/u.test(name)) return 'a name may not contain /, ?, #, %, \\ or control characters';
  if (RESERVED_SIM_NAMES.includes(name)) return `${name} is the name of a route (/v1/sims/${name}): choose another name`;
  return null;
}

/** A tag key: letters, digits, `_ . -` (no `:`, which separates key from value in the `tag` filter). */
export const TAG_KEY = /^[A-Za-z0-9_.-]+$/;

export function tagsProblems(tags: Record<string, string>, field = 'tags'): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const entries = Object.entries(tags);
  if (entries.length > TAG_LIMITS.maxTags) problems.push({ field, message: `at most ${TAG_LIMITS.maxTags} tags` });
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > TAG_LIMITS.keyMax || !TAG_KEY.test(key)) {
      problems.push({ field: `${field}/${key}`, message: `a tag key is 1 to ${TAG_LIMITS.keyMax} letters, digits, '_', '.' or '-'` });
    }
    if (typeof value !== 'string' || value.length === 0 || value.length > TAG_LIMITS.valueMax || /\p{Cc}/u.test(value)) {
      problems.push({
        field: `${field}/${key}`,
        message: `a tag value is a string of 1 to ${TAG_LIMITS.valueMax} characters without control characters`,
      });
    }
  }
  return problems;
}

export function labelsProblems(labels: string[], field = 'labels'): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (labels.length > LABEL_LIMITS.maxLabels) problems.push({ field, message: `at most ${LABEL_LIMITS.maxLabels} labels` });
  labels.forEach((label, i) => {
    if (label.length === 0 || label.length > LABEL_LIMITS.labelMax || label.trim() !== label || /\p{Cc}/u.test(label)) {
      problems.push({
        field: `${field}/${i}`,
        message: `a label is 1 to ${LABEL_LIMITS.labelMax} characters, without surrounding spaces or control characters`,
      });
    }
  });
  return problems;
}

export function imeisProblems(imeis: string[], field = 'authorizedImeis'): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (imeis.length > MAX_AUTHORIZED_IMEIS) problems.push({ field, message: `at most ${MAX_AUTHORIZED_IMEIS} authorized IMEIs` });
  imeis.forEach((imei, i) => {
    const problem = imeiProblem(imei);
    if (problem) problems.push({ field: `${field}/${i}`, message: `${imei}: ${problem}` });
  });
  return problems;
}

export function countriesProblems(countries: string[], field = 'allowedCountries'): FieldProblem[] {
  return countries.flatMap((code, i) =>
    isCountryCode(code) ? [] : [{ field: `${field}/${i}`, message: `${code} is not an ISO 3166-1 alpha-2 country code` }],
  );
}

/** Order-preserving de-duplication (a repeated label, IMEI or country means the same as once). */
export const distinct = <T>(values: readonly T[]): T[] => [...new Set(values)];

// ---------------------------------------------------------------------------------------------------------------------
// Policy: a group carries defaults, a SIM may override each of them.

export interface PolicySettings {
  /** Monthly data limit per SIM in bytes; null = none at this level. */
  monthlyDataLimitBytes: number | null;
  /** ISO alpha-2 countries the SIM may be used in; null = none at this level (all allowed unless inherited). */
  allowedCountries: string[] | null;
}

export type PolicySource = 'sim' | 'group' | 'none';

export interface EffectiveSetting<T> {
  value: T | null;
  /** Where the value comes from: the SIM's override, its group, or nowhere (no limit / all countries). */
  source: PolicySource;
  groupId: string | null;
}

export interface EffectivePolicy {
  monthlyDataLimitBytes: EffectiveSetting<number>;
  allowedCountries: EffectiveSetting<string[]>;
}

/** The policy in force for a SIM: each setting from the SIM's override if any, else from its group, else none. */
export function resolvePolicy(simOverrides: PolicySettings, group: ({ id: string } & PolicySettings) | null): EffectivePolicy {
  const pick = <K extends keyof PolicySettings>(key: K): EffectiveSetting<NonNullable<PolicySettings[K]>> => {
    const own = simOverrides[key];
    if (own !== null) return { value: own as NonNullable<PolicySettings[K]>, source: 'sim', groupId: null };
    const inherited = group?.[key] ?? null;
    if (group && inherited !== null) return { value: inherited as NonNullable<PolicySettings[K]>, source: 'group', groupId: group.id };
    return { value: null, source: 'none', groupId: null };
  };
  return { monthlyDataLimitBytes: pick('monthlyDataLimitBytes'), allowedCountries: pick('allowedCountries') };
}

/** Whether the policy lets the SIM be used in a country (unknown country: only when no restriction applies). */
export function countryAllowed(policy: EffectivePolicy, country: string | null): boolean {
  const allowed = policy.allowedCountries.value;
  if (allowed === null) return true;
  return country !== null && allowed.includes(country);
}

// ---------------------------------------------------------------------------------------------------------------------
// Fleet overview: list filters and sort orders (shared by GET /v1/sims, POST /v1/sims/bulk and the summary).

export interface SimListFilter {
  status?: string[];
  /** Every pair must match (AND): `tag=env:prod&tag=site:lyon`. */
  tags?: Record<string, string>;
  /** A group id, or null for SIMs in no group. */
  groupId?: string | null;
  q?: string;
  network?: string;
  country?: string;
  lastSeenBefore?: Date;
  lastSeenAfter?: Date;
  endUserDevice?: boolean;
}

export const SIM_SORT_FIELDS = ['iccid', 'name', 'lastSeenAt', 'createdAt'] as const;
export type SimSortField = (typeof SIM_SORT_FIELDS)[number];
export const SIM_SORTS = SIM_SORT_FIELDS.flatMap((f) => [f, `-${f}`]) as Array<SimSortField | `-${SimSortField}`>;

export interface SimSort {
  field: SimSortField;
  descending: boolean;
}

export const parseSort = (value: string): SimSort =>
  value.startsWith('-') ? { field: value.slice(1) as SimSortField, descending: true } : { field: value as SimSortField, descending: false };

/** `key:value` of the tag filter: the key is everything before the first `:`. */
export function parseTagFilter(value: string): { key: string; value: string } | null {
  const at = value.indexOf(':');
  if (at <= 0 || at === value.length - 1) return null;
  const key = value.slice(0, at);
  return TAG_KEY.test(key) ? { key, value: value.slice(at + 1) } : null;
}

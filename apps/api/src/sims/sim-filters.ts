import { z } from 'zod';
import { SIM_STATUSES, isCountryCode, parseTagFilter, SIM_SORTS, type SimListFilter } from '@simfleet/domain';
import { instantInput, pageQuery } from '@simfleet/http';

/** A query parameter given once, repeated (`?tag=a:1&tag=b:2`) or as a JSON array in a body: always a list. */
const listOf = <T extends z.ZodType>(item: T, commaSeparated: boolean, max: number) =>
  z.preprocess((value) => {
    const values = value === undefined ? undefined : Array.isArray(value) ? value : [value];
    return commaSeparated && values ? values.flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])) : values;
  }, z.array(item).min(1).max(max));

const instant = (what: string) => instantInput(what);

/** The SIM list filters: the same fields in GET /v1/sims (query) and POST /v1/sims/bulk (`filter`). */
export const simFilterFields = {
  status: listOf(z.enum(SIM_STATUSES), true, SIM_STATUSES.length * 4)
    .optional()
    .describe('One or more statuses (repeat, or comma-separate)'),
  tag: listOf(
    z
      .string()
      .max(200)
      .refine((v) => parseTagFilter(v) !== null, 'a tag filter is key:value (the key: letters, digits, _ . -)'),
    false,
    50,
  )
    .optional()
    .describe('`key:value`; repeat to require several tags (all must match)'),
  groupId: z.string().min(1).max(64).optional().describe('A group id of this account, or `none` for SIMs in no group'),
  q: z.string().trim().min(1).max(64).optional().describe('Name substring (case-insensitive), or ICCID / MSISDN prefix'),
  network: z.string().min(1).max(100).optional().describe('Network name, exactly as shown on the SIM (e.g. `Orange`)'),
  country: z
    .string()
    .max(64)
    .refine(isCountryCode, 'an ISO 3166-1 alpha-2 country code, upper case (e.g. FR)')
    .optional()
    .describe('ISO 3166-1 alpha-2 country of the network last seen'),
  lastSeenBefore: instant('Last seen strictly before').optional(),
  lastSeenAfter: instant('Last seen at or after').optional(),
  endUserDevice: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .transform((v) => v === true || v === 'true')
    .optional()
    .describe('Only SIMs declared (true) or not declared (false) as placed in end-user devices'),
};

const filterObject = z.object(simFilterFields).strict();
export type SimFilterInput = z.infer<typeof filterObject>;

/** Tag filters with one key and two values can never match: say so rather than return nothing. */
const noConflictingTags = (input: { tag?: string[] }, ctx: z.RefinementCtx) => {
  const seen = new Map<string, string>();
  for (const raw of input.tag ?? []) {
    const tag = parseTagFilter(raw);
    if (!tag) continue;
    if (seen.has(tag.key) && seen.get(tag.key) !== tag.value)
      ctx.addIssue({ code: 'custom', path: ['tag'], message: `tag ${tag.key} is asked with two values; a SIM has one value per key` });
    seen.set(tag.key, tag.value);
  }
};

export const simFilterSchema = filterObject.superRefine(noConflictingTags);

export const simListQuery = z
  .object({
    ...simFilterFields,
    sort: z
      .enum(SIM_SORTS as [string, ...string[]])
      .default('iccid')
      .describe('iccid, name, lastSeenAt or createdAt; prefix with `-` for descending. Unset names/last-seen sort last ascending, first descending'),
    ...pageQuery,
  })
  .strict()
  .superRefine(noConflictingTags);

/** GET /v1/sims/export: the list's filters and sort, without paging (the export is every match). */
export const simExportQuery = z
  .object({
    ...simFilterFields,
    sort: z
      .enum(SIM_SORTS as [string, ...string[]])
      .default('iccid')
      .describe('As for the list; the ICCID order (the default) never moves a SIM during the export'),
  })
  .strict()
  .superRefine(noConflictingTags);

export function toSimListFilter(input: SimFilterInput): SimListFilter {
  const filter: SimListFilter = {};
  if (input.status) filter.status = [...new Set(input.status)];
  if (input.tag) filter.tags = Object.fromEntries(input.tag.map((t) => parseTagFilter(t)!).map((t) => [t.key, t.value]));
  if (input.groupId !== undefined) filter.groupId = input.groupId === 'none' ? null : input.groupId;
  if (input.q !== undefined) filter.q = input.q;
  if (input.network !== undefined) filter.network = input.network;
  if (input.country !== undefined) filter.country = input.country;
  if (input.lastSeenBefore) filter.lastSeenBefore = new Date(input.lastSeenBefore);
  if (input.lastSeenAfter) filter.lastSeenAfter = new Date(input.lastSeenAfter);
  if (input.endUserDevice !== undefined) filter.endUserDevice = input.endUserDevice;
  return filter;
}

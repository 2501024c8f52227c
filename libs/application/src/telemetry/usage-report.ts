import { DomainError } from '@simfleet/domain';
import { lookupCountry, type SessionTotalsRow } from '@simfleet/telemetry';

export const REPORT_GROUPINGS = ['sim', 'group', 'network', 'country', 'rat'] as const;
export type ReportGrouping = (typeof REPORT_GROUPINGS)[number];

/** One line of the usage report. `key` is null for "no group" / "unknown country". */
export interface UsageReportRow {
  key: string | null;
  label: string;
  bytesUp: number;
  bytesDown: number;
  bytesTotal: number;
  sessions: number;
  sims: number;
}

export interface NetworkRatSplit {
  rat: string;
  sessions: number;
  bytesTotal: number;
  sims: number;
}

export interface NetworkStatsRow {
  key: string;
  mcc: string;
  mnc: string;
  name: string | null;
  country: string | null;
  sessions: number;
  bytesUp: number;
  bytesDown: number;
  bytesTotal: number;
  sims: number;
  rats: NetworkRatSplit[];
}

/** Reports over a range longer than this are refused: the answer would be a scan of years of telemetry. */
export const MAX_REPORT_DAYS = 1_100;

/** A [from, to) range of a query: `to` after `from`, at most MAX_REPORT_DAYS long. */
export function assertRange(from: Date, to: Date, maxDays = MAX_REPORT_DAYS): void {
  if (to <= from) throw DomainError.validation('`to` must be after `from`', [{ field: 'to', message: 'must be after from' }]);
  if (to.getTime() - from.getTime() > maxDays * 86_400_000) {
    throw DomainError.validation(`the range is longer than ${maxDays} days`, [{ field: 'to', message: `at most ${maxDays} days after from` }]);
  }
}

/**
 * Usage of one network key (MCC-MNC, network name, country, RAT) over a range: what every report folds,
 * from the rollups (whole days) or from the store's per-SIM totals.
 */
export interface UsageTotalsRow {
  mcc: string;
  mnc: string;
  network: string | null;
  country: string | null;
  rat: string;
  bytesUp: number;
  bytesDown: number;
  sessions: number;
}

/** Distinct SIMs over the range, per network (MCC-MNC), network and RAT (`MCC-MNC|RAT`), country ('' unknown) and RAT. */
export interface DistinctSims {
  network: Map<string, number>;
  networkRat: Map<string, number>;
  country: Map<string, number>;
  rat: Map<string, number>;
}

export const networkKey = (mcc: string, mnc: string) => `${mcc}-${mnc}`;
const networkRatKey = (mcc: string, mnc: string, rat: string) => `${mcc}-${mnc}|${rat}`;

/** The distinct SIMs of the store's per-SIM totals (the raw path), counted as the rollups count them. */
export function distinctSimsOf(rows: SessionTotalsRow[]): DistinctSims {
  const sets = {
    network: new Map<string, Set<string>>(),
    networkRat: new Map<string, Set<string>>(),
    country: new Map<string, Set<string>>(),
    rat: new Map<string, Set<string>>(),
  };
  const add = (map: Map<string, Set<string>>, key: string, iccid: string) => map.set(key, (map.get(key) ?? new Set()).add(iccid));
  for (const r of rows) {
    add(sets.network, networkKey(r.mcc, r.mnc), r.iccid);
    add(sets.networkRat, networkRatKey(r.mcc, r.mnc, r.rat), r.iccid);
    add(sets.country, r.country ?? '', r.iccid);
    add(sets.rat, r.rat, r.iccid);
  }
  const sizes = (map: Map<string, Set<string>>) => new Map([...map].map(([k, v]) => [k, v.size]));
  return { network: sizes(sets.network), networkRat: sizes(sets.networkRat), country: sizes(sets.country), rat: sizes(sets.rat) };
}

interface Accumulator {
  key: string | null;
  label: string | null;
  bytesUp: number;
  bytesDown: number;
  sessions: number;
}

const accumulate = (map: Map<string, Accumulator>, key: string | null, label: string | null, row: UsageTotalsRow): Accumulator => {
  const id = key ?? '\u0000';
  const acc = map.get(id) ?? { key, label: null, bytesUp: 0, bytesDown: 0, sessions: 0 };
  acc.label ??= label;
  acc.bytesUp += row.bytesUp;
  acc.bytesDown += row.bytesDown;
  acc.sessions += row.sessions;
  map.set(id, acc);
  return acc;
};

/** Biggest first, then by key, so a report reads the same from either source. */
const byTotal = (a: { bytesTotal: number; key: string | null }, b: { bytesTotal: number; key: string | null }) =>
  b.bytesTotal - a.bytesTotal || (a.key ?? '\uffff').localeCompare(b.key ?? '\uffff');

const countryLabel = (country: string | null) => (country ? (lookupCountry(country)?.name ?? country) : 'Unknown country');

/** Report rows by network (MCC-MNC), country or RAT, with the distinct SIMs of each. */
export function foldUsageTotals(rows: UsageTotalsRow[], groupBy: 'network' | 'country' | 'rat', sims: DistinctSims): UsageReportRow[] {
  const groups = new Map<string, Accumulator>();
  for (const row of rows) {
    if (groupBy === 'network') accumulate(groups, networkKey(row.mcc, row.mnc), row.network, row);
    else if (groupBy === 'country') accumulate(groups, row.country, countryLabel(row.country), row);
    else accumulate(groups, row.rat, row.rat, row);
  }
  const simsOf = (key: string | null) => (groupBy === 'network' ? sims.network : groupBy === 'country' ? sims.country : sims.rat).get(key ?? '') ?? 0;
  return [...groups.values()]
    .map((a) => ({
      key: a.key,
      label: a.label ?? a.key ?? '',
      bytesUp: a.bytesUp,
      bytesDown: a.bytesDown,
      bytesTotal: a.bytesUp + a.bytesDown,
      sessions: a.sessions,
      sims: simsOf(a.key),
    }))
    .sort(byTotal);
}

/**
 * Folds the store's (SIM, network, RAT) totals into report rows by SIM, network (MCC-MNC), country or
 * RAT. `simLabels` names SIMs (their name, else the ICCID).
 */
export function foldUsage(
  rows: SessionTotalsRow[],
  groupBy: Exclude<ReportGrouping, 'group'>,
  simLabels: Map<string, string | null> = new Map(),
): UsageReportRow[] {
  if (groupBy !== 'sim') return foldUsageTotals(rows, groupBy, distinctSimsOf(rows));
  const groups = new Map<string, Accumulator>();
  for (const row of rows) accumulate(groups, row.iccid, simLabels.get(row.iccid) ?? row.iccid, row);
  return [...groups.values()]
    .map((a) => ({
      key: a.key,
      label: a.label ?? a.key ?? '',
      bytesUp: a.bytesUp,
      bytesDown: a.bytesDown,
      bytesTotal: a.bytesUp + a.bytesDown,
      sessions: a.sessions,
      sims: 1,
    }))
    .sort(byTotal);
}

/** Per network (MCC-MNC): sessions, bytes, distinct SIMs and the split by RAT. */
export function foldNetworkTotals(rows: UsageTotalsRow[], sims: DistinctSims): NetworkStatsRow[] {
  const networks = new Map<string, { acc: Accumulator; mcc: string; mnc: string; country: string | null; rats: Map<string, Accumulator> }>();
  for (const row of rows) {
    const key = networkKey(row.mcc, row.mnc);
    const entry = networks.get(key) ?? {
      acc: { key, label: null, bytesUp: 0, bytesDown: 0, sessions: 0 },
      mcc: row.mcc,
      mnc: row.mnc,
      country: null,
      rats: new Map(),
    };
    networks.set(key, entry);
    accumulate(new Map([[key, entry.acc]]), key, row.network, row);
    entry.country ??= row.country;
    accumulate(entry.rats, row.rat, row.rat, row);
  }
  return [...networks.values()]
    .map(({ acc, mcc, mnc, country, rats }) => ({
      key: acc.key as string,
      mcc,
      mnc,
      name: acc.label,
      country,
      sessions: acc.sessions,
      bytesUp: acc.bytesUp,
      bytesDown: acc.bytesDown,
      bytesTotal: acc.bytesUp + acc.bytesDown,
      sims: sims.network.get(acc.key as string) ?? 0,
      rats: [...rats.values()]
        .map((r) => ({
          rat: r.key as string,
          sessions: r.sessions,
          bytesTotal: r.bytesUp + r.bytesDown,
          sims: sims.networkRat.get(networkRatKey(mcc, mnc, r.key as string)) ?? 0,
        }))
        .sort((a, b) => b.bytesTotal - a.bytesTotal || a.rat.localeCompare(b.rat)),
    }))
    .sort(byTotal);
}

/** Per network from the store's per-SIM totals. */
export const foldNetworkStats = (rows: SessionTotalsRow[]): NetworkStatsRow[] => foldNetworkTotals(rows, distinctSimsOf(rows));

export interface CountryFeature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Point'; coordinates: [number, number] } | null;
  properties: {
    country: string | null;
    name: string;
    sessions: number;
    bytesUp: number;
    bytesDown: number;
    bytesTotal: number;
    sims: number;
    networks: Array<{ key: string; mcc: string; mnc: string; name: string | null; sessions: number; bytesTotal: number; sims: number }>;
  };
}

/**
 * The network statistics map: one GeoJSON Feature per country, a Point at the country's centroid (null
 * geometry when the country is unknown). Distinct SIMs are counted per country, not summed over networks.
 */
export function networkTotalsGeoJson(rows: UsageTotalsRow[], sims: DistinctSims): { type: 'FeatureCollection'; features: CountryFeature[] } {
  const byCountry = new Map<string, UsageTotalsRow[]>();
  for (const row of rows) {
    const key = row.country ?? '';
    byCountry.set(key, [...(byCountry.get(key) ?? []), row]);
  }
  const features = [...byCountry.entries()].map(([country, countryRows]): CountryFeature => {
    const info = lookupCountry(country || null);
    const [total] = foldUsageTotals(countryRows, 'country', sims);
    return {
      type: 'Feature',
      id: country || 'unknown',
      geometry: info ? { type: 'Point', coordinates: [info.centroid[0], info.centroid[1]] } : null,
      properties: {
        country: country || null,
        name: info?.name ?? (country || 'Unknown country'),
        sessions: total.sessions,
        bytesUp: total.bytesUp,
        bytesDown: total.bytesDown,
        bytesTotal: total.bytesTotal,
        sims: total.sims,
        networks: foldNetworkTotals(countryRows, sims).map((n) => ({
          key: n.key,
          mcc: n.mcc,
          mnc: n.mnc,
          name: n.name,
          sessions: n.sessions,
          bytesTotal: n.bytesTotal,
          sims: n.sims,
        })),
      },
    };
  });
  features.sort((a, b) => b.properties.bytesTotal - a.properties.bytesTotal || a.id.localeCompare(b.id));
  return { type: 'FeatureCollection', features };
}

/** The map from the store's per-SIM totals. */
export const networkStatsGeoJson = (rows: SessionTotalsRow[]) => networkTotalsGeoJson(rows, distinctSimsOf(rows));

const CSV_COLUMNS = ['key', 'label', 'bytesUp', 'bytesDown', 'bytesTotal', 'sessions', 'sims'] as const;

/** RFC 4180: a field with a comma, quote, CR or LF is quoted and its quotes doubled. */
export const csvField = (value: string | number | null): string => {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The report as CSV: a header row, then one CRLF-terminated line per row. */
export function usageReportCsv(rows: UsageReportRow[]): string {
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(','))].map((line) => `${line}\r\n`).join('');
}

import { createRequire } from 'node:module';
import type { Operator } from 'mcc-mnc-list';

export interface NetworkInfo {
  mcc: string;
  mnc: string;
  /** Brand as subscribers know it (e.g. "Orange"), else the operator's legal name. */
  name: string | null;
  /** ISO 3166-1 alpha-2 of the network's country. */
  country: string | null;
}

const require = createRequire(import.meta.url);
const operators = (require('mcc-mnc-list') as { all(): Operator[] }).all();

const byMccMnc = new Map<string, Operator>();
const countryByMcc = new Map<string, string>();
for (const op of operators) {
  if (!byMccMnc.has(`${op.mcc}${op.mnc}`) || op.status === 'Operational') byMccMnc.set(`${op.mcc}${op.mnc}`, op);
  if (op.countryCode && !countryByMcc.has(op.mcc)) countryByMcc.set(op.mcc, op.countryCode.split('/')[0]);
}

/** Network name and country of an MCC-MNC, from the packaged `mcc-mnc-list` dataset (no network call). */
export function lookupNetwork(mcc: string, mnc: string): NetworkInfo {
  const op = byMccMnc.get(`${mcc}${mnc}`);
  const country = (op?.countryCode?.split('/')[0] || countryByMcc.get(mcc)) ?? null;
  return { mcc, mnc, name: op ? op.brand || op.operator || null : null, country };
}

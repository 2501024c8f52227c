import type { SessionRecord } from './records.js';

/** The price of a data session in the zone of its visited network. */
export interface SessionRating {
  zone: string;
  /** Decimal string, unrounded: rounding happens once, on the invoice line. */
  amount: string;
  currency: string;
}

/** What the MCC-MNC directory knows of a visited network. */
export interface VisitedNetwork {
  name: string | null;
  country: string | null;
}

/**
 * A data session: the one shape of a session from the queued record to the usage ledger, the telemetry
 * store, rating and the alert rules. Counters are cumulative: the latest record of a session carries its
 * totals. A session is identified by (SIM, session id); its start and visited network are those it was
 * first seen with, so it stays one row in the ledger and one point in the telemetry store.
 */
export interface DataSession {
  accountId: string;
  iccid: string;
  sessionId: string;
  startedAt: Date;
  endedAt: Date | null;
  bytesUp: number;
  bytesDown: number;
  mcc: string;
  mnc: string;
  /** The visited network's name: as the device reported it, else from the MCC-MNC directory. */
  network: string | null;
  /** ISO 3166-1 alpha-2 of the visited network, null when the directory does not know it. */
  country: string | null;
  rat: string;
  cellId: string | null;
  /** The device's IMEI as its latest record gave it. */
  imei: string | null;
  /** When the platform received the session's latest record (the platform's clock, not the device's). */
  receivedAt: Date;
  /** Its price; null when unrated (the plan has no THINGS pricing, or the network is outside every zone). */
  rating: SessionRating | null;
}

/**
 * A network name as the platform keeps it (ledger, stores, events, the SIM): control characters (line breaks,
 * tabs) become spaces and backslashes slashes, surrounding spaces go; null when nothing is left. InfluxDB 1.x
 * cannot write either back in a tag, and both shapes must give the same name.
 */
export function networkName(name: string | null | undefined): string | null {
  if (!name) return null;
  return name.replace(CONTROL_CHARACTERS, ' ').replace(/\\/g, '/').trim() || null;
}
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** The key of a session, unique across SIMs. */
export const sessionKey = (s: Pick<DataSession, 'iccid' | 'sessionId'>): string => `${s.iccid}\u0000${s.sessionId}`;

/** The session one record describes, before anything is known of it. */
export function dataSessionOf(
  sent: { accountId: string; iccid: string; receivedAt: string; record: SessionRecord },
  visited: VisitedNetwork,
): DataSession {
  const { record } = sent;
  return {
    accountId: sent.accountId,
    iccid: sent.iccid,
    sessionId: record.sessionId,
    startedAt: new Date(record.startedAt),
    endedAt: record.endedAt ? new Date(record.endedAt) : null,
    bytesUp: record.bytesUp,
    bytesDown: record.bytesDown,
    mcc: record.mcc,
    mnc: record.mnc,
    network: networkName(record.network) ?? networkName(visited.name),
    country: visited.country,
    rat: record.rat,
    cellId: record.cellId === undefined ? null : String(record.cellId),
    imei: record.imei ?? null,
    receivedAt: new Date(sent.receivedAt),
    rating: null,
  };
}

/**
 * What is known of a session after a later record of it: the start, visited network and RAT it was first
 * seen with stay (they key it in the stores), counters only grow (a redelivered or reordered record never
 * takes them back), an end once seen stays, and the later record's cell, IMEI and reception time win.
 * The rating is left to be done again by the caller when the rated facts changed (`sameRatedFacts`).
 */
export function mergeDataSession(known: DataSession, later: DataSession): DataSession {
  return {
    ...known,
    endedAt: known.endedAt ?? later.endedAt,
    bytesUp: Math.max(known.bytesUp, later.bytesUp),
    bytesDown: Math.max(known.bytesDown, later.bytesDown),
    cellId: later.cellId ?? known.cellId,
    imei: later.imei ?? known.imei,
    receivedAt: later.receivedAt,
  };
}

/** Whether two versions of a session are priced alike: same start (the plan in force), network and counters. */
export const sameRatedFacts = (a: DataSession, b: DataSession): boolean =>
  a.startedAt.getTime() === b.startedAt.getTime() && a.mcc === b.mcc && a.mnc === b.mnc && a.bytesUp === b.bytesUp && a.bytesDown === b.bytesDown;

/** Whether a new version of a session changes what the ledger holds of it. */
export const sessionChanged = (before: DataSession, after: DataSession): boolean =>
  before.bytesUp !== after.bytesUp ||
  before.bytesDown !== after.bytesDown ||
  (before.endedAt?.getTime() ?? null) !== (after.endedAt?.getTime() ?? null) ||
  before.rating?.amount !== after.rating?.amount ||
  before.rating?.zone !== after.rating?.zone;

/**
 * What one ingested batch did to a session: its version before the batch (null: first seen now) and after.
 * Events, alert rules and (later) usage rollups read the batch's effect from these.
 */
export interface SessionChange {
  before: DataSession | null;
  after: DataSession;
}

export const sessionStarted = (c: SessionChange): boolean => c.before === null;
/** The batch carried the session's end for the first time. */
export const sessionEnded = (c: SessionChange): boolean => c.after.endedAt !== null && !c.before?.endedAt;
/** The batch moved a known session's counters. */
export const sessionGrew = (c: SessionChange): boolean =>
  c.before !== null && (c.after.bytesUp > c.before.bytesUp || c.after.bytesDown > c.before.bytesDown);
/** Bytes this batch added to the session (up + down): the per-batch delta usage rollups add up. */
export const bytesAdded = (c: SessionChange): { up: number; down: number } => ({
  up: c.after.bytesUp - (c.before?.bytesUp ?? 0),
  down: c.after.bytesDown - (c.before?.bytesDown ?? 0),
});

/**
 * Instants are epoch milliseconds (time, not money). Calendar arithmetic uses Intl only, so
 * periods follow the plan's IANA time zone, DST included, without a time-zone library.
 */
const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localParts(ms: number, timeZone: string): LocalParts {
  const out: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of formatter(timeZone).formatToParts(ms)) {
    if (p.type === 'year' || p.type === 'month' || p.type === 'day' || p.type === 'hour' || p.type === 'minute' || p.type === 'second') {
      out[p.type] = Number(p.value);
    }
  }
  return out;
}

function dayKey(p: { year: number; month: number; day: number }): number {
  return p.year * 10_000 + p.month * 100 + p.day;
}

/**
 * First instant of a local calendar day. Found by bisection on "local date ≥ target" so that a day
 * starting inside a DST gap (midnight skipped) or an overlap is still exact to the millisecond.
 */
export function startOfLocalDay(year: number, month: number, day: number, timeZone: string): number {
  const target = dayKey({ year, month, day });
  const utcMidnight = Date.UTC(year, month - 1, day);
  let lo = utcMidnight - 15 * HOUR_MS; // local date < target here for every real offset
  let hi = utcMidnight + 15 * HOUR_MS; // local date ≥ target here
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (dayKey(localParts(mid, timeZone)) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

export interface Period {
  id: string; // YYYY-MM
  year: number;
  month: number;
  start: number; // inclusive
  end: number; // exclusive
  timeZone: string;
  daysInMonth: number;
}

export const PERIOD_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function monthPeriod(id: string, timeZone: string): Period {
  const m = PERIOD_PATTERN.exec(id);
  if (!m) throw new RangeError(`period must be YYYY-MM, got "${id}"`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const next = month === 12 ? { y: year + 1, m: 1 } : { y: year, m: month + 1 };
  return {
    id,
    year,
    month,
    start: startOfLocalDay(year, month, 1, timeZone),
    end: startOfLocalDay(next.y, next.m, 1, timeZone),
    timeZone,
    daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
  };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** ISO 8601 with the zone's offset at that instant, e.g. 2026-10-01T00:00:00+02:00. */
export function isoInZone(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  const wholeSecond = ms - (((ms % 1000) + 1000) % 1000);
  const offsetMin = Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - wholeSecond) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Timestamps must carry an offset (Z or ±hh:mm): a naive local time is ambiguous across DST. */
export const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseInstant(value: string): number {
  if (!INSTANT_PATTERN.test(value)) throw new RangeError(`not an ISO 8601 instant with offset: "${value}"`);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`invalid instant: "${value}"`);
  return ms;
}

/** Instant → ms; lenient fast path for already-valid strings (hot path of the data ledger). */
export function instantMs(value: string | Date | number): number {
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  return parseInstant(value);
}

export const LOCAL_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface Clock {
  now(): Date;
}

export function fixedClock(iso: string): Clock {
  const at = new Date(parseInstant(iso));
  return { now: () => new Date(at.getTime()) };
}

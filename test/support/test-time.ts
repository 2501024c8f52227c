/**
 * Dates for tests that must not depend on the day they run (issue #16). A test that needs a calendar
 * (a billing period, a day of sessions) takes one relative to the run's clock, instead of a literal that
 * falls out of a window (retention, "ahead of the clock", an open period) as the calendar moves on.
 *
 * Periods are `YYYY-MM` (as the platform's billing periods); instants are ISO 8601 in UTC.
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The `YYYY-MM` period (UTC) `offset` months from the one `date` is in. */
export function periodOf(date: Date, offset = 0): string {
  const month = date.getUTCFullYear() * 12 + date.getUTCMonth() + offset;
  return `${Math.floor(month / 12)}-${pad((month % 12) + 1)}`;
}

/** The period `offset` months from `period`. */
export function shiftPeriod(period: string, offset: number): string {
  const [y, m] = period.split('-').map(Number);
  return periodOf(new Date(Date.UTC(y, m - 1, 1)), offset);
}

/** `YYYY-MM-DDTHH:MM:SSZ` for a day of `period` (days 1–28 exist in every month). */
export function at(period: string, day: number, time = '00:00:00'): string {
  if (day < 1 || day > 28) throw new Error(`day ${day}: only days 1–28 exist in every month`);
  return `${period}-${pad(day)}T${time}Z`;
}

/** The same instant as `at`, as `toISOString()` prints it (with milliseconds). */
export function iso(period: string, day: number, time = '00:00:00'): string {
  return new Date(at(period, day, time)).toISOString();
}

/** The `YYYY-MM-DD` day `offset` days from `date` (UTC). */
export function dayOf(date: Date, offset = 0): string {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + offset)).toISOString().slice(0, 10);
}

/**
 * The month before the one the machine's clock is in: every day of it is in the past, and less than
 * 62 days old (well inside the telemetry retention), whatever the date of the run.
 */
export const LAST_MONTH = periodOf(new Date(), -1);

/**
 * The moved clock of `npm run test:time-travel` (libfaketime's LD_PRELOAD and FAKETIME* variables), for a
 * child process started with an environment of its own: it must read the same clock as the test.
 */
export function clockEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => (entry[0] === 'LD_PRELOAD' || entry[0].startsWith('FAKETIME')) && entry[1] !== undefined,
    ),
  );
}

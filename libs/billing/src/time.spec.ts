import { billableSeconds } from './increments.js';
import { maxConcurrent, startedPeriodsIn } from './intervals.js';
import { isoInZone, monthPeriod, parseInstant, startOfLocalDay } from './time.js';

describe('billing periods [start, end) in the plan time zone', () => {
  it.each([
    // period, zone, start (UTC), end (UTC), local start, local end
    ['2026-10', 'Europe/Paris', '2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z', '2026-10-01T00:00:00+02:00', '2026-11-01T00:00:00+01:00'],
    ['2026-03', 'Europe/Paris', '2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z', '2026-03-01T00:00:00+01:00', '2026-04-01T00:00:00+02:00'],
    ['2026-12', 'UTC', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', '2026-12-01T00:00:00+00:00', '2027-01-01T00:00:00+00:00'],
    ['2026-11', 'America/New_York', '2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z', '2026-11-01T00:00:00-04:00', '2026-12-01T00:00:00-05:00'],
    ['2026-02', 'Asia/Kolkata', '2026-01-31T18:30:00.000Z', '2026-02-28T18:30:00.000Z', '2026-02-01T00:00:00+05:30', '2026-03-01T00:00:00+05:30'],
  ])('%s in %s', (id, zone, start, end, localStart, localEnd) => {
    const p = monthPeriod(id, zone);
    expect(new Date(p.start).toISOString()).toBe(start);
    expect(new Date(p.end).toISOString()).toBe(end);
    expect(isoInZone(p.start, zone)).toBe(localStart);
    expect(isoInZone(p.end, zone)).toBe(localEnd);
  });

  it('a day that starts inside a DST gap starts at the end of the gap', () => {
    // America/Santiago skipped 2026-09-06 00:00 → 01:00 (UTC-4 → UTC-3).
    const t = startOfLocalDay(2026, 9, 6, 'America/Santiago');
    expect(isoInZone(t, 'America/Santiago')).toBe('2026-09-06T01:00:00-03:00');
    expect(isoInZone(t - 1, 'America/Santiago').startsWith('2026-09-05T23:59:59')).toBe(true);
  });

  it('refuses a bad period and an instant without offset', () => {
    expect(() => monthPeriod('2026-13', 'UTC')).toThrow(/YYYY-MM/);
    expect(() => parseInstant('2026-10-05T10:00:00')).toThrow(/offset/);
  });
});

describe('time increments (first/next, CGRateS style)', () => {
  it.each([
    // An established call of 0 s has started its first increment (issue #15: answered 0-s calls were free).
    [0, 60, 60, 60],
    [0, 30, 6, 30],
    [1, 60, 60, 60],
    [60, 60, 60, 60],
    [61, 60, 60, 120],
    [125, 60, 60, 180],
    [61, 30, 6, 66],
    [29.2, 30, 1, 30],
    [45.5, 1, 1, 46],
  ])('%s s with %s/%s → %s billable s', (d, first, next, expected) => {
    expect(billableSeconds(d, first, next)).toBe(expected);
  });
});

describe('intervals', () => {
  it.each([
    // intervals, expected max concurrent in [0, 100)
    [
      [
        [0, 10],
        [5, 20],
        [15, 30],
      ],
      2,
    ],
    [
      [
        [0, 10],
        [10, 20],
      ],
      1,
    ], // end then re-add at the same instant: no overlap
    [
      [
        [-50, 5],
        [-10, 1],
        [200, 300],
      ],
      2,
    ],
    [[[150, 200]], 0],
  ])('max concurrent of %j is %s', (intervals, expected) => {
    expect(
      maxConcurrent(
        (intervals as number[][]).map(([from, to]) => ({ from: from!, to: to! })),
        0,
        100,
      ),
    ).toBe(expected);
  });

  it.each([
    // anchor, length, from, to, started periods
    [0, 10, 0, 20, 2], // kept exactly 2 periods → 2
    [0, 10, 0, 21, 3],
    [0, 10, 5, 20, 1], // the period starting at 0 started before `from`
    [0, 10, 0, 0, 0],
    [100, 10, 0, 50, 0],
  ])('anchor %s len %s in [%s, %s) → %s', (anchor, len, from, to, n) => {
    expect(startedPeriodsIn(anchor, len, from, to)).toBe(n);
  });
});

import { assessDataLimit, dataLimitDecision, effectiveLimit, stageSeverity } from './data-limit.js';
import { periodWindow, utcDay } from './periods.js';

describe('periodWindow (UTC)', () => {
  it.each([
    ['day', '2026-11-28T13:45:00Z', '2026-11-28T00:00:00.000Z', '2026-11-29T00:00:00.000Z'],
    ['day', '2026-12-31T23:59:59.999Z', '2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['month', '2026-11-28T13:45:00Z', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['month', '2026-12-15T00:00:00Z', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['month', '2028-02-29T12:00:00Z', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
  ] as const)('%s of %s', (period, at, start, end) => {
    const w = periodWindow(period, new Date(at));
    expect([w.start.toISOString(), w.end.toISOString()]).toEqual([start, end]);
  });

  it('names the UTC day', () => expect(utcDay(new Date('2026-11-28T23:30:00-05:00'))).toBe('2026-11-29'));
});

describe('data-limit assessment', () => {
  const at = new Date('2026-11-28T10:00:00Z');
  it.each([
    ['well below', { limitBytes: 1_000_000, period: 'month', warnAtPercent: 80 }, 100_000, 0, 'below'],
    ['at the warning threshold', { limitBytes: 1_000_000, period: 'month', warnAtPercent: 80 }, 800_000, 1, 'warning'],
    ['just under the limit', { limitBytes: 1_000_000, period: 'month', warnAtPercent: 80 }, 999_999, 1, 'warning'],
    ['at the limit', { limitBytes: 1_000_000, period: 'month', warnAtPercent: 80 }, 1_000_000, 2, 'limit_exceeded'],
    ['over the limit without a warning threshold', { limitBytes: 1_000_000, period: 'day' }, 2_000_000, 2, 'limit_exceeded'],
    ['near the limit without a warning threshold', { limitBytes: 1_000_000, period: 'day' }, 999_999, 0, 'below'],
  ] as const)('%s', (_name, params, usage, level, stage) => {
    const a = assessDataLimit(params, { bytes: params.limitBytes, source: 'rule' }, usage, at);
    expect(a).toMatchObject({ level, stage, usageBytes: usage, limitBytes: params.limitBytes });
    expect(a.periodStart).toBe(params.period === 'month' ? '2026-11-01T00:00:00.000Z' : '2026-11-28T00:00:00.000Z');
  });

  it.each([
    ['the rule’s own limit wins', { limitBytes: 5, period: 'month' as const }, { bytes: 9, source: 'group' as const }, { bytes: 5, source: 'rule' }],
    ['else the SIM’s effective monthly limit', { period: 'month' as const }, { bytes: 9, source: 'group' as const }, { bytes: 9, source: 'group' }],
    ['no limit anywhere', { period: 'month' as const }, null, null],
  ])('%s', (_name, params, sim, expected) => {
    expect(effectiveLimit(params, sim)).toEqual(expected);
  });

  it.each([
    [1, 'critical', 'warning'],
    [1, 'info', 'info'],
    [2, 'critical', 'critical'],
    [2, 'info', 'info'],
  ] as const)('stage %s of a %s rule is %s', (level, rule, expected) => expect(stageSeverity(level, rule)).toBe(expected));
});

describe('dataLimitDecision', () => {
  const nov = '2026-11-01T00:00:00.000Z';
  const dec = '2026-12-01T00:00:00.000Z';
  it.each([
    ['no open alert, below', null, { level: 0, periodStart: nov }, false, null, false],
    ['no open alert, at the warning', null, { level: 1, periodStart: nov }, false, null, true],
    ['open warning, now at the limit: escalate', { level: 1, periodStart: nov }, { level: 2, periodStart: nov }, false, null, true],
    ['open limit alert, still over: update it', { level: 2, periodStart: nov }, { level: 2, periodStart: nov }, false, null, true],
    ['open limit alert, limit raised above the usage', { level: 2, periodStart: nov }, { level: 0, periodStart: nov }, false, 'below_limit', false],
    [
      'open limit alert, limit raised to the warning band: resolve, then a warning',
      { level: 2, periodStart: nov },
      { level: 1, periodStart: nov },
      false,
      'below_limit',
      true,
    ],
    ['period rollover, no usage yet', { level: 2, periodStart: nov }, { level: 0, periodStart: dec }, false, 'period_rollover', false],
    [
      'period rollover, already at the warning again: a new alert',
      { level: 1, periodStart: nov },
      { level: 1, periodStart: dec },
      false,
      'period_rollover',
      true,
    ],
    ['scan after rollover only resolves', { level: 2, periodStart: nov }, { level: 2, periodStart: dec }, true, 'period_rollover', false],
    ['scan while still over the limit: nothing', { level: 2, periodStart: nov }, { level: 2, periodStart: nov }, true, null, false],
  ] as const)('%s', (_name, open, assessment, reassessOnly, resolve, raise) => {
    expect(dataLimitDecision(open, assessment, reassessOnly)).toEqual({ resolve, raise });
  });
});

import { parseRuleDraft, parseRulePatch, ruleApplies, type AlertRule } from './alert-rule.js';

const fields = (input: unknown) => {
  const result = parseRuleDraft(input);
  return result.ok ? [] : result.errors.map((e) => e.field).sort();
};

describe('parseRuleDraft', () => {
  it('fills the defaults', () => {
    const result = parseRuleDraft({ type: 'data_usage_limit', params: { limitBytes: 1_000 } });
    expect(result).toEqual({
      ok: true,
      draft: {
        name: null,
        type: 'data_usage_limit',
        scope: {},
        severity: 'warning',
        action: 'notify',
        enabled: true,
        params: { limitBytes: 1_000, period: 'month' },
      },
    });
  });

  it.each([
    ['no body', undefined, ['(body)']],
    ['an unknown type', { type: 'telepathy' }, ['type']],
    ['a type without its params', { type: 'impossible_travel' }, ['params/maxKmh']],
    [
      'block on a rule that can only notify',
      { type: 'geofence', action: 'block', params: { on: 'exit', circle: { lat: 0, lon: 0, radiusM: 10 } } },
      ['action'],
    ],
    [
      'every problem at once',
      { type: 'usage_spike', severity: 'fatal', scope: { iccid: 'x' }, params: { factor: 1, minHistory: 0 } },
      ['params/factor', 'params/minHistory', 'scope', 'severity'],
    ],
    ['a day limit needs limitBytes', { type: 'data_usage_limit', params: { period: 'day' } }, ['params/limitBytes']],
    ['warnAtPercent out of range', { type: 'data_usage_limit', params: { limitBytes: 10, warnAtPercent: 100 } }, ['params/warnAtPercent']],
    [
      'a geofence with both shapes',
      {
        type: 'geofence',
        params: {
          on: 'exit',
          circle: { lat: 0, lon: 0, radiusM: 10 },
          polygon: {
            type: 'Polygon',
            coordinates: [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 0],
              ],
            ],
          },
        },
      },
      ['params/circle'],
    ],
    [
      'an open polygon ring',
      {
        type: 'geofence',
        params: {
          on: 'enter',
          polygon: {
            type: 'Polygon',
            coordinates: [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 1],
              ],
            ],
          },
        },
      },
      ['params/polygon/coordinates/0'],
    ],
    ['a latitude out of range', { type: 'geofence', params: { on: 'enter', circle: { lat: 91, lon: 0, radiusM: 10 } } }, ['params/circle/lat']],
    ['lowercase country codes', { type: 'new_country', params: { allowedCountries: ['fr'] } }, ['params/allowedCountries/0']],
    ['unknown params', { type: 'imei_change', params: { strict: true } }, ['params/strict']],
    ['a tag without a value', { type: 'silent', scope: { tag: 'site' }, params: { hours: 2 } }, ['scope']],
  ])('refuses %s, naming each field', (_name, input, expected) => {
    expect(fields(input)).toEqual(expected);
  });

  it.each([
    { type: 'imei_change', action: 'block', scope: { iccid: '8988303000000000001' } },
    {
      type: 'geofence',
      scope: { tag: 'site:lyon' },
      params: {
        on: 'exit',
        polygon: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        },
      },
    },
    { type: 'usage_spike', params: { factor: 3 } },
    { type: 'connection_storm', scope: { groupId: 'grp_1' }, params: { maxConnectsPerHour: 20 } },
    { type: 'silent', params: { hours: 0.5 } },
    { type: 'new_country', params: {} },
  ])('accepts %j', (input) => expect(parseRuleDraft(input).ok).toBe(true));
});

describe('parseRulePatch', () => {
  const rule: AlertRule = {
    id: 'rule_1',
    accountId: 'acc_1',
    name: null,
    type: 'data_usage_limit',
    scope: {},
    severity: 'critical',
    action: 'block',
    enabled: true,
    params: { limitBytes: 1_000, period: 'month' },
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  it('merges and revalidates', () => {
    const result = parseRulePatch(rule, { params: { limitBytes: 5_000 } });
    expect(result.ok && result.draft).toMatchObject({ action: 'block', params: { limitBytes: 5_000, period: 'month' } });
  });
  it('refuses a type change', () => {
    const result = parseRulePatch(rule, { type: 'silent' });
    expect(result.ok ? [] : result.errors).toEqual([{ field: 'type', message: expect.stringContaining('cannot change') }]);
  });
});

describe('ruleApplies', () => {
  const sim = { iccid: '8988303000000000001', groupId: 'grp_1', tags: { site: 'lyon' } };
  it.each([
    [{}, true],
    [{ iccid: '8988303000000000001' }, true],
    [{ iccid: '8988303000000000002' }, false],
    [{ groupId: 'grp_1' }, true],
    [{ groupId: 'grp_2' }, false],
    [{ tag: 'site:lyon' }, true],
    [{ tag: 'site:paris' }, false],
    [{ tag: 'env:lyon' }, false],
  ])('scope %j → %s', (scope, applies) => expect(ruleApplies({ scope, enabled: true }, sim)).toBe(applies));
  it('a disabled rule applies to nothing', () => expect(ruleApplies({ scope: {}, enabled: false }, sim)).toBe(false));
});

describe('problems that say what to do', () => {
  const problems = (result: ReturnType<typeof parseRuleDraft>) => (result.ok ? [] : result.errors);

  it('names a parameter put at the top level and says it belongs under params', () => {
    expect(problems(parseRuleDraft({ type: 'data_usage_limit', limitBytes: 1_000 }))).toEqual([
      {
        field: 'limitBytes',
        message: 'unknown field: limitBytes is a parameter of the rule (data_usage_limit) and belongs under params, as params.limitBytes',
      },
    ]);
  });

  it('names every unknown field on its own, without a hint when it is no parameter', () => {
    expect(problems(parseRuleDraft({ type: 'silent', params: { hours: 2 }, colour: 'red', hours: 3 }))).toEqual([
      { field: 'colour', message: 'unknown field' },
      { field: 'hours', message: 'unknown field: hours is a parameter of the rule (silent) and belongs under params, as params.hours' },
    ]);
  });

  it('says a missing field is required', () => {
    expect(problems(parseRuleDraft({ params: {} }))).toEqual([{ field: 'type', message: 'required' }]);
  });

  it('gives the hint in a PATCH too, and refuses a change of type', () => {
    const rule = { type: 'impossible_travel', scope: {}, name: null, severity: 'warning', action: 'notify', enabled: true, params: { maxKmh: 900 } };
    const patched = parseRulePatch(rule as unknown as AlertRule, { maxKmh: 500, type: 'silent' });
    expect(patched.ok ? [] : patched.errors).toEqual([
      { field: 'maxKmh', message: 'unknown field: maxKmh is a parameter of the rule (impossible_travel) and belongs under params, as params.maxKmh' },
      { field: 'type', message: 'the type of a rule cannot change: create a new rule' },
    ]);
  });
});

import { assertPlan, PlanValidationError, validatePlan } from './plan.js';
import { DEFAULT_PLAN } from './plans/default-plan.js';
import { FULL_PLAN, planWith } from './testing/fixtures.js';

function problems(plan: unknown) {
  const v = validatePlan(plan);
  return v.ok ? [] : v.problems;
}

describe('price plan validation', () => {
  it('accepts the default plan and the full test plan', () => {
    expect(problems(DEFAULT_PLAN)).toEqual([]);
    expect(problems(FULL_PLAN)).toEqual([]);
    expect(DEFAULT_PLAN.currency).toBe('EUR');
  });

  it.each([
    [
      'overlapping tiers',
      planWith({
        sms: {
          mt: {
            mode: 'graduated',
            tiers: [
              { from: '0', upTo: '100', unitPrice: '0.1' },
              { from: '50', upTo: null, unitPrice: '0.05' },
            ],
          },
        },
      }),
      'sms.mt.tiers.1.from',
      /overlapping tiers/,
    ],
    [
      'a gap between tiers',
      planWith({
        sms: {
          mt: {
            mode: 'volume',
            tiers: [
              { from: '0', upTo: '100', unitPrice: '0.1' },
              { from: '150', upTo: null, unitPrice: '0.05' },
            ],
          },
        },
      }),
      'sms.mt.tiers.1.from',
      /gap between tiers/,
    ],
    [
      'a bounded last tier',
      planWith({ sms: { mt: { mode: 'volume', tiers: [{ from: '0', upTo: '100', unitPrice: '0.1' }] } } }),
      'sms.mt.tiers.0.upTo',
      /last tier must be unbounded/,
    ],
    [
      'a session timeout over 24 h',
      planWith({ answers: { package: { fee: '1', included: 1, overage: '1' }, sessionTimeoutMinutes: 1441 } }),
      'answers.sessionTimeoutMinutes',
      /exceeds the 24 h maximum/,
    ],
    ['a negative price', planWith({ sms: { mo: '-0.01' } }), 'sms.mo', /negative price/],
    [
      'a negative price inside a tier',
      planWith({ sms: { mt: { mode: 'graduated', tiers: [{ from: '0', upTo: null, unitPrice: '-1' }] } } }),
      'sms.mt.tiers.0.unitPrice',
      /negative price/,
    ],
    ['a price as a JSON number', planWith({ sms: { mo: 0.05 as unknown as string } }), 'sms.mo', /decimal string/],
    [
      'an unknown zone',
      planWith({
        things: {
          activationFee: '1',
          activationFeeAt: 'activation',
          monthlyFee: '1',
          data: { zones: { eu: '0.01' }, countryZones: { FR: 'europe' } },
        },
      }),
      'things.data.countryZones.FR',
      /unknown zone "europe"/,
    ],
    [
      'an unknown default zone',
      planWith({
        things: {
          activationFee: '1',
          activationFeeAt: 'activation',
          monthlyFee: '1',
          data: { zones: { eu: '0.01' }, countryZones: {}, defaultZone: 'world' },
        },
      }),
      'things.data.defaultZone',
      /unknown zone "world"/,
    ],
    ['an unknown currency', planWith({ currency: 'EUX' }), 'currency', /unknown ISO 4217 currency/],
    ['an unknown time zone', planWith({ timeZone: 'Europe/Pariss' }), 'timeZone', /unknown IANA time zone/],
    ['a bad prefix', planWith({ sms: { mt: { prefixes: { FR: '0.1' } } } }), 'sms.mt.prefixes.FR', /E\.164/],
    [
      'an impossible start date',
      planWith({ conversations: { package: { fee: '1', included: 0, overage: '1' }, startDate: '2026-02-30' } }),
      'conversations.startDate',
      /not a calendar date/,
    ],
  ])('reports %s with its path', (_name, plan, path, message) => {
    const found = problems(plan);
    expect(found).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringMatching(message) })]));
  });

  it('reports every problem at once', () => {
    const found = problems({ ...planWith({ sms: { mo: '-1', mt: '-2' } }), currency: 'XXXX' });
    expect(found.length).toBeGreaterThanOrEqual(2);
  });

  it('assertPlan throws a PlanValidationError listing the problems', () => {
    expect(() => assertPlan({ id: 'x' })).toThrow(PlanValidationError);
    try {
      assertPlan({ id: 'x' });
    } catch (e) {
      expect((e as PlanValidationError).problems.map((p) => p.path)).toEqual(expect.arrayContaining(['name', 'currency', 'timeZone']));
    }
  });
});

import { DEFAULT_PLAN, validatePlan } from '@simfleet/billing';

describe('validatePlan lists every problem at once', () => {
  it('reports semantic problems (overlapping tiers, unknown zone) alongside structural ones (negative price, timeout over 24 h)', () => {
    const things = DEFAULT_PLAN.things!;
    const result = validatePlan({
      ...DEFAULT_PLAN,
      sms: {
        mt: {
          mode: 'graduated',
          tiers: [
            { from: '0', upTo: '100', unitPrice: '0.05' },
            { from: '50', upTo: null, unitPrice: '0.04' },
          ],
        },
        mo: '-0.005',
      },
      answers: { package: { fee: '100', included: 10, overage: '1' }, sessionTimeoutMinutes: 1500 },
      things: { ...things, data: { ...things.data, countryZones: { ...things.data.countryZones, FR: 'europe' } } },
    });
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.path).sort()).toEqual([
      'answers.sessionTimeoutMinutes',
      'sms.mo',
      'sms.mt.tiers.1.from',
      'things.data.countryZones.FR',
    ]);
    // One problem per path: the schema's message wins over the semantic check's for the same field.
    expect(result.problems.filter((p) => p.path === 'answers.sessionTimeoutMinutes')).toHaveLength(1);
  });

  it('still reports the structural problems when the input is too malformed for the semantic checks', () => {
    const result = validatePlan({ ...DEFAULT_PLAN, sms: { mt: { mode: 'graduated', tiers: [{ from: 'zero', upTo: null, unitPrice: '0.05' }] } } });
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.path)).toContain('sms.mt.tiers.0.from');
  });
});

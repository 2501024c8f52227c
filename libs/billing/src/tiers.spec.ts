import fc from 'fast-check';
import { D } from './decimal.js';
import { tierBands, tieredAmount, type TieredPrice } from './tiers.js';

const graduated: TieredPrice = {
  mode: 'graduated',
  tiers: [
    { from: '0', upTo: '100', unitPrice: '0.10' },
    { from: '100', upTo: '1000', unitPrice: '0.05', flatFee: '2.00' },
    { from: '1000', upTo: null, unitPrice: '0.01' },
  ],
};
const volume: TieredPrice = { ...graduated, mode: 'volume' };

describe('tiers over (lower, upper]', () => {
  it.each([
    // quantity, graduated amount, volume amount
    ['0', '0', '0'],
    ['1', '0.1', '0.1'],
    ['100', '10', '10'], // 100 is in (0, 100]: the first tier only
    ['100.5', '12.025', '7.025'], // graduated: 10 + 0.5×0.05 + 2 flat; volume: 100.5 × 0.05 + 2 flat
    ['1000', '57', '52'],
    ['1500', '62', '15'],
    ['0.25', '0.025', '0.025'], // decimal quantities
  ])('quantity %s → graduated %s, volume %s', (q, g, v) => {
    expect(tieredAmount(new D(q), graduated).toFixed()).toBe(g);
    expect(tieredAmount(new D(q), volume).toFixed()).toBe(v);
  });

  it('splits a graduated quantity into bands with their own price and flat fee', () => {
    const bands = tierBands(new D('1500'), graduated);
    expect(bands.map((b) => [b.quantity.toFixed(), b.unitPrice.toFixed(), b.flatFee.toFixed()])).toEqual([
      ['100', '0.1', '0'],
      ['900', '0.05', '2'],
      ['500', '0.01', '0'],
    ]);
  });

  it('graduated tiers without flat fees have no jump at their bounds (property)', () => {
    const plain: TieredPrice = { mode: 'graduated', tiers: graduated.tiers.map(({ flatFee: _f, ...t }) => t) };
    const epsilon = new D('0.000001');
    fc.assert(
      fc.property(fc.constantFrom('100', '1000'), fc.integer({ min: 1, max: 1000 }), (bound, k) => {
        const b = new D(bound);
        const e = epsilon.times(k);
        const below = tieredAmount(b.minus(e), plain);
        const at = tieredAmount(b, plain);
        const above = tieredAmount(b.plus(e), plain);
        // Continuity: the amount moves by at most e × the highest unit price on either side.
        expect(at.minus(below).abs().lte(e.times('0.1'))).toBe(true);
        expect(above.minus(at).abs().lte(e.times('0.1'))).toBe(true);
        expect(above.gte(at) && at.gte(below)).toBe(true);
      }),
    );
  });

  it('graduated amount is monotonic in the quantity (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(tieredAmount(new D(hi), graduated).gte(tieredAmount(new D(lo), graduated))).toBe(true);
      }),
    );
  });
});

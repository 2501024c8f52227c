import { emptyBaseline, foldSample, isSpike, type Baseline } from './baseline.js';

const fold = (samples: number[], alpha?: number): Baseline => samples.reduce((b, s) => foldSample(b, s, alpha), emptyBaseline());

describe('EWMA baseline', () => {
  it.each([
    ['no sample', [], null, 0],
    ['the first sample is the mean', [1_000], 1_000, 1],
    ['a steady SIM stays at its level', [1_000, 1_000, 1_000, 1_000], 1_000, 4],
    // 1000 → 0.2 × 2000 + 0.8 × 1000 = 1200 → 0.2 × 2000 + 0.8 × 1200 = 1360
    ['recent samples pull the mean (α = 0.2)', [1_000, 2_000, 2_000], 1_360, 3],
    ['a zero day counts', [1_000, 0], 800, 2],
  ])('%s', (_name, samples, mean, count) => {
    const b = fold(samples);
    if (mean === null) expect(b.mean).toBeNull();
    else expect(b.mean).toBeCloseTo(mean, 6);
    expect(b.samples).toBe(count);
  });

  it('weighs with the given alpha', () => {
    expect(fold([100, 200], 0.5).mean).toBeCloseTo(150, 6);
  });
});

describe('isSpike', () => {
  const steady = fold([1_000, 1_000, 1_000, 1_000, 1_000]);
  it.each([
    ['above factor × mean, with enough history', steady, 3_001, 3, 5, true],
    ['exactly factor × mean is not a spike', steady, 3_000, 3, 5, false],
    ['below the bound', steady, 2_500, 3, 5, false],
    ['not enough history yet', fold([1_000, 1_000]), 100_000, 3, 5, false],
    ['minHistory reached exactly', fold([1_000, 1_000]), 100_000, 3, 2, true],
    ['an empty baseline never fires', emptyBaseline(), 100_000, 3, 0, false],
    ['a zero baseline never fires', fold([0, 0, 0]), 100_000, 3, 1, false],
  ])('%s', (_name, baseline, bytes, factor, minHistory, spike) => {
    expect(isSpike(baseline, bytes, factor, minHistory)).toBe(spike);
  });
});

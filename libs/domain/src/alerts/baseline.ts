/**
 * A SIM's own usage baseline: an exponentially weighted moving average of its past sessions' (or days')
 * bytes. Recent behaviour weighs most, so a device whose normal traffic drifts does not keep alerting.
 */
export interface Baseline {
  /** Current EWMA in bytes, null before the first sample. */
  mean: number | null;
  samples: number;
}

/** Weight of the newest sample: 0.2 ≈ the last ten samples carry ~90 % of the weight. */
export const EWMA_ALPHA = 0.2;

export const emptyBaseline = (): Baseline => ({ mean: null, samples: 0 });

export function foldSample(baseline: Baseline, bytes: number, alpha = EWMA_ALPHA): Baseline {
  const mean = baseline.mean === null ? bytes : alpha * bytes + (1 - alpha) * baseline.mean;
  return { mean, samples: baseline.samples + 1 };
}

/**
 * Whether `bytes` is a spike: more than `factor` × the baseline, once the baseline holds at least
 * `minHistory` samples. A zero baseline (a SIM that never sent anything) never fires: any traffic
 * would be "infinitely" above it and tell nothing.
 */
export function isSpike(baseline: Baseline, bytes: number, factor: number, minHistory: number): boolean {
  if (baseline.samples < minHistory || baseline.mean === null || baseline.mean <= 0) return false;
  return bytes > factor * baseline.mean;
}

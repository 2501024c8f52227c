/**
 * CGRateS-style time increments: the first increment is charged whole as soon as the call is
 * established, then each started next increment. Durations are integer seconds (time, not money);
 * the priced line is rounded, never each increment.
 */
export function billableSeconds(durationSeconds: number, firstIncrement: number, nextIncrement: number): number {
  if (durationSeconds <= 0) return 0;
  const d = Math.ceil(durationSeconds);
  if (d <= firstIncrement) return firstIncrement;
  return firstIncrement + Math.ceil((d - firstIncrement) / nextIncrement) * nextIncrement;
}

/** Integer round-up to a multiple of `increment`, exact for every safe integer (no float division). */
export function roundUpToIncrement(value: number, increment: number): number {
  if (value <= 0) return 0;
  const rem = value % increment;
  return rem === 0 ? value : value - rem + increment;
}

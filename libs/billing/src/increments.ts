/**
 * CGRateS-style time increments of an established call: the first increment is charged whole as soon as
 * the call is established — whatever its duration, 0 s included (the catalogue bills "each started 60
 * seconds" of an answered call, and an answered call has started its first) — then each started next
 * increment. Durations are integer seconds (time, not money); the priced line is rounded, never each
 * increment.
 */
export function billableSeconds(durationSeconds: number, firstIncrement: number, nextIncrement: number): number {
  const d = Math.ceil(Math.max(durationSeconds, 0));
  if (d <= firstIncrement) return firstIncrement;
  return firstIncrement + Math.ceil((d - firstIncrement) / nextIncrement) * nextIncrement;
}

/** Integer round-up to a multiple of `increment`, exact for every safe integer (no float division). */
export function roundUpToIncrement(value: number, increment: number): number {
  if (value <= 0) return 0;
  const rem = value % increment;
  return rem === 0 ? value : value - rem + increment;
}

/** Half-open instants [from, to); to = +∞ while still open. */
export interface Interval {
  from: number;
  to: number;
}

export function overlaps(i: Interval, start: number, end: number): boolean {
  return i.from < end && i.to > start;
}

/**
 * Highest number of intervals open at the same instant within [start, end). An interval ending
 * exactly when another starts does not overlap it (deprovision then re-add costs nothing extra).
 */
export function maxConcurrent(intervals: Iterable<Interval>, start: number, end: number): number {
  const points: Array<[number, number]> = [];
  for (const i of intervals) {
    const from = Math.max(i.from, start);
    const to = Math.min(i.to, end);
    if (from < to) points.push([from, 1], [to, -1]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, delta] of points) {
    open += delta;
    if (open > max) max = open;
  }
  return max;
}

/** Started fixed-length periods (anchored at `anchor`) whose start lies in [from, to). */
export function startedPeriodsIn(anchor: number, lengthMs: number, from: number, to: number): number {
  if (to <= from) return 0;
  const first = Math.max(0, Math.ceil((from - anchor) / lengthMs));
  const last = Math.ceil((to - anchor) / lengthMs) - 1; // last k with anchor + k·len < to
  return Math.max(0, last - first + 1);
}

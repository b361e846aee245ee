// Counting requests over sliding windows: the throughput cap is a limit over any window of a given length,
// not over calendar seconds (a calendar second can split a burst in two and hide it).

/** The most of `times` (ms) that fall in any half-open window [t, t + windowMs). Throws on an empty list. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  if (times.length === 0) throw new Error('no times to count: the check would pass on nothing');
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

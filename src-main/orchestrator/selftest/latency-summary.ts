import type { LatencySummary } from "../../../src-shared/selftest/selftest.js";

/** Nearest-rank percentile (p in 0..100) of samples already sorted ascending; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** p50/p99/mean/max of a set of durations in ms, rounded to 0.01 ms. */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { count: sorted.length, p50_ms: round(percentile(sorted, 50)), p99_ms: round(percentile(sorted, 99)), mean_ms: round(mean), max_ms: round(sorted.at(-1) ?? 0) };
}

import { describe, expect, it } from "vitest";
import { percentile, summarize } from "./latency-summary.js";

describe("latency summary", () => {
  it("takes nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it("sorts, rounds and counts", () => {
    expect(summarize([3.333, 1, 2])).toEqual({ count: 3, p50_ms: 2, p99_ms: 3.33, mean_ms: 2.11, max_ms: 3.33 });
    expect(summarize([])).toEqual({ count: 0, p50_ms: 0, p99_ms: 0, mean_ms: 0, max_ms: 0 });
  });
});

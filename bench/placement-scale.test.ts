import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// Smoke check only: the benchmark runs and reports ratios against its 10-node baseline.
describe("bench/placement-scale.mjs --short", () => {
  it("reports µs per decision and the ratio to the 10-node baseline for every strategy", () => {
    const run = spawnSync(process.execPath, ["bench/placement-scale.mjs", "--short", "--json"], { encoding: "utf8", timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const { results } = JSON.parse(run.stdout) as { results: { strategy: string; nodes: number; us_per_decision: number; ratio_to_10_nodes: number }[] };
    expect(results.map((r) => `${r.strategy}/${r.nodes}`)).toEqual(["least-loaded", "round-robin", "random"].flatMap((s) => [10, 100, 1000].map((n) => `${s}/${n}`)));
    for (const r of results) expect(r.us_per_decision).toBeGreaterThan(0);
    expect(results.filter((r) => r.nodes === 10).every((r) => r.ratio_to_10_nodes === 1)).toBe(true);
  });
});

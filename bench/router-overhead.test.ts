import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// Smoke check only: the benchmark runs end to end and reports ratios against its same-run baseline.
// Its numbers are read by people (see docs/BENCHMARKS.md), never asserted against thresholds.
describe("bench/router-overhead.mjs --short", () => {
  it("measures the direct baseline and the orchestrator path and reports their ratio", () => {
    const run = spawnSync(process.execPath, ["bench/router-overhead.mjs", "--short", "--json"], { encoding: "utf8", timeout: 90_000 });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as { requests: number; ratio_p50: number; direct_ms: { p50: number }; orchestrator_ms: { p50: number } };
    expect(result.requests).toBe(10);
    expect(result.direct_ms.p50).toBeGreaterThan(0);
    expect(result.orchestrator_ms.p50).toBeGreaterThan(0);
    expect(result.ratio_p50).toBeCloseTo(result.orchestrator_ms.p50 / result.direct_ms.p50, 1);
  }, 120_000);
});

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// Smoke check only: the failover benchmark runs both phases and reports against its baseline.
describe("bench/failover.mjs --short", () => {
  it("measures an undisturbed baseline and a phase with a killed worker, and accounts for every request", () => {
    const run = spawnSync(process.execPath, ["bench/failover.mjs", "--short", "--json", "--clients", "2"], { encoding: "utf8", timeout: 90_000 });
    expect(run.status, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as {
      baseline: { requests: number; ok: number; success_rate: number };
      failover: { requests: number; ok: number; errors: Record<string, number>; longest_gap_after_kill_ms: number };
      throughput_ratio: number;
      lost_requests: number;
    };
    expect(r.baseline.requests).toBeGreaterThan(0);
    expect(r.baseline.ok).toBe(r.baseline.requests);
    expect(r.failover.ok).toBeGreaterThan(0);
    // Every failed request failed loudly with a code, none silently.
    expect(Object.values(r.failover.errors).reduce((a, b) => a + b, 0)).toBe(r.lost_requests);
    expect(Object.keys(r.failover.errors).every((k) => k === "WORKER_RESET")).toBe(true);
    expect(r.throughput_ratio).toBeGreaterThan(0);
  }, 120_000);
});

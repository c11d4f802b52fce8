import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// Smoke check only: the slot-scaling benchmark runs end to end and reports ratios to its 1-slot baseline.
describe("bench/worker-slots.mjs (short)", () => {
  it("measures 1, 2 and 4 slots and reports each against the 1-slot baseline", () => {
    const run = spawnSync(process.execPath, ["bench/worker-slots.mjs", "--tokens", "40", "--rounds", "1"], { encoding: "utf8", timeout: 90_000 });
    expect(run.status, run.stderr).toBe(0);
    const rows = run.stdout.split("\n").filter((l) => /^\s+\d+\s+\d+\s+\d+\s+[\d.]+$/.test(l)).map((l) => l.trim().split(/\s+/).map(Number));
    expect(rows.map((r) => r[0])).toEqual([1, 2, 4]);
    expect(rows[0]?.[3]).toBe(1);
    for (const r of rows) expect(r[1]).toBeGreaterThan(0);
  }, 120_000);
});

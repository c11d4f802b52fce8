import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Correctness smoke of `npm run bench -- --quick`: every scenario runs end to end on a small fleet and
// the report is written. Timing targets are read by people (docs/PERFORMANCE.md), never asserted here.
describe("bench/run-all.mjs --quick", () => {
  it("runs every scenario, checks correctness (no false Offline, every admission 202) and writes the report", () => {
    const out = mkdtempSync(join(tmpdir(), "llorch-bench-quick-"));
    try {
      const run = spawnSync(process.execPath, ["bench/run-all.mjs", "--quick", "--out", out], { encoding: "utf8", timeout: 110_000 });
      expect(run.status, run.stderr + run.stdout.slice(-2000)).toBe(0);
      const report = JSON.parse(readFileSync(join(out, "latest.json"), "utf8")) as { rows: { scenario: string }[]; checks: { name: string; ok: boolean }[] };
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(report.rows.length).toBeGreaterThanOrEqual(13);
      // The streaming proxy and its peer are rows of the report; HAProxy is measured or says why it was skipped.
      const names = report.rows.map((r) => r.scenario);
      expect(names.some((n) => n.startsWith("streaming tokens/s through /v2"))).toBe(true);
      expect(names.some((n) => n.startsWith("framework floor: express"))).toBe(true);
      const peer = report.rows.find((r) => r.scenario.startsWith("peer: HAProxy") && r.scenario.includes("streaming")) as { measured: unknown } | undefined;
      expect(String(peer?.measured)).toMatch(/^(skipped: .+|\d+; .*CPU)/);
      // The peers comparison (bench/peers.mjs) is a full-run scenario: --quick lists it as skipped, with the reason.
      const peers = report.rows.find((r) => r.scenario.startsWith("peers:")) as { measured: unknown } | undefined;
      expect(String(peers?.measured)).toMatch(/^skipped: --quick/);
      expect(readFileSync(join(out, "latest.md"), "utf8")).toContain("| scenario | measured | baseline");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});

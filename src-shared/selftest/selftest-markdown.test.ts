import { describe, expect, it } from "vitest";
import { SelftestRequestSchema, type SelftestRun } from "./selftest.js";
import { selftestMarkdown, selftestPassed, selftestRows } from "./selftest-markdown.js";

const summary = (p50: number, p99: number) => ({ count: 4, p50_ms: p50, p99_ms: p99, mean_ms: p50, max_ms: p99 });
const run = (fairnessPassed: boolean): SelftestRun => ({
  id: "st-1", state: "completed", started_by: "token:abc123", request: SelftestRequestSchema.parse({}), phase: "done", done: 4, total: 4, message: "done",
  started_at_ms: 1_000, finished_at_ms: 3_000,
  report: {
    orchestrator_version: "0.1.0", started_at_ms: 1_000, finished_at_ms: 3_000,
    overhead: { status: "ok", model: "m|odel", pool_id: "p", node_id: "n", max_tokens: 4, direct: summary(5, 9), through: summary(6.5, 12), added_p50_ms: 1.5, added_p99_ms: 3, errors: 0 },
    fairness: { status: "ok", pool_id: "p", blockers: 1, queued_behind_blockers: 2, order: [{ priority: "batch", submitted: 0, started: 1, queue_wait_ms: 9, state: "completed" }, { priority: "interactive", submitted: 1, started: 0, queue_wait_ms: 3, state: "completed" }], priority_inversions: fairnessPassed ? 0 : 1, fifo_inversions: 0, interactive_wait: summary(3, 3), batch_wait: summary(9, 9), passed: fairnessPassed },
    detection: { status: "skipped", reason: "no consent: name the node to stop in stop_node" },
  },
});

describe("self-test report formatting", () => {
  it("lists every section with its numbers, the start order and the verdict", () => {
    const rows = selftestRows(run(true).report as NonNullable<SelftestRun["report"]>);
    expect(rows).toContainEqual(["router overhead", "added p50 / p99", "+1.50 ms / +3.00 ms"]);
    expect(rows).toContainEqual(["queue fairness", "start order (B batch, I interactive; submitted #)", "I1 B0"]);
    expect(rows).toContainEqual(["failure detection", "skipped", "no consent: name the node to stop in stop_node"]);
    const md = selftestMarkdown(run(true));
    expect(md).toContain("| router overhead | pool / model | p on n / m\\|odel, 4 tokens |");
    expect(md).toContain("Verdict: pass.");
  });

  it("does not pass a run whose queue broke its promise", () => {
    expect(selftestPassed(run(true))).toBe(true);
    expect(selftestPassed(run(false))).toBe(false);
    expect(selftestMarkdown(run(false))).toContain("Verdict: not passed.");
  });
});

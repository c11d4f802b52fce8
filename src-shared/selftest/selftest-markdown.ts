import type { LatencySummary, SelftestReport, SelftestRun } from "./selftest.js";

const ms = (v: number | null) => (v === null ? "—" : `${v.toFixed(v < 10 ? 2 : 1)} ms`);
const signed = (v: number) => `${v >= 0 ? "+" : ""}${ms(v).replace(" ms", "")} ms`;
const lat = (s: LatencySummary) => `p50 ${ms(s.p50_ms)}, p99 ${ms(s.p99_ms)} (n=${s.count})`;

/** The report's rows as (section, measure, value): the CLI's table, the dashboard's table and the Markdown export. */
export function selftestRows(report: SelftestReport): [string, string, string][] {
  const rows: [string, string, string][] = [];
  const { overhead, fairness, detection } = report;
  if (overhead.status === "ok") {
    rows.push(
      ["router overhead", "pool / model", `${overhead.pool_id} on ${overhead.node_id} / ${overhead.model}, ${overhead.max_tokens} tokens`],
      ["router overhead", "direct to the worker", lat(overhead.direct)],
      ["router overhead", "through the orchestrator", lat(overhead.through)],
      ["router overhead", "added p50 / p99", `${signed(overhead.added_p50_ms)} / ${signed(overhead.added_p99_ms)}`],
      ["router overhead", "errors", String(overhead.errors)],
    );
  } else rows.push(["router overhead", overhead.status, overhead.reason]);
  if (fairness.status === "ok") {
    const order = [...fairness.order].filter((o) => o.started !== null).sort((a, b) => (a.started ?? 0) - (b.started ?? 0)).map((o) => `${o.priority === "interactive" ? "I" : "B"}${o.submitted}`).join(" ");
    rows.push(
      ["queue fairness", "pool / blockers / queued", `${fairness.pool_id} / ${fairness.blockers} / ${fairness.queued_behind_blockers} of ${fairness.order.length}`],
      ["queue fairness", "start order (B batch, I interactive; submitted #)", order],
      ["queue fairness", "priority inversions / FIFO inversions", `${fairness.priority_inversions} / ${fairness.fifo_inversions}`],
      ["queue fairness", "queue wait interactive", lat(fairness.interactive_wait)],
      ["queue fairness", "queue wait batch", lat(fairness.batch_wait)],
      ["queue fairness", "verdict", fairness.passed ? "pass" : "FAIL"],
    );
  } else rows.push(["queue fairness", fairness.status, fairness.reason]);
  if (detection.status === "ok") {
    rows.push(
      ["failure detection", "node / simulated hang", `${detection.node_id} / ${detection.hang_ms} ms`],
      ["failure detection", "unschedulable after", detection.unschedulable_after_ms === null ? "not detected during the hang" : `${ms(detection.unschedulable_after_ms)} (${detection.marked ?? "?"})`],
      ["failure detection", "back Online after the hang", detection.back_online_after_ms === null ? "not back within the bound" : ms(detection.back_online_after_ms)],
      ["failure detection", "settings", `node_suspect_ms ${detection.node_suspect_ms}, worker_stream_idle_ms ${detection.worker_stream_idle_ms}`],
    );
  } else rows.push(["failure detection", detection.status, detection.reason]);
  return rows;
}

/** True when every section that ran succeeded and the queue kept its promises. */
export function selftestPassed(run: SelftestRun): boolean {
  const r = run.report;
  if (run.state !== "completed" || r === null) return false;
  if (r.overhead.status === "failed" || r.detection.status === "failed" || r.fairness.status === "failed") return false;
  if (r.fairness.status === "ok" && !r.fairness.passed) return false;
  return !(r.detection.status === "ok" && r.detection.unschedulable_after_ms === null);
}

/** The run as a Markdown document (the export beside the JSON). */
export function selftestMarkdown(run: SelftestRun): string {
  const escape = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [
    `# llama-orch self-test ${run.id}`,
    "",
    `State: ${run.state}${run.report ? `, orchestrator ${run.report.orchestrator_version}` : ""}; started ${new Date(run.started_at_ms).toISOString()} by ${run.started_by}${run.finished_at_ms !== null ? `, took ${((run.finished_at_ms - run.started_at_ms) / 1000).toFixed(1)} s` : ""}.`,
    "",
    "| section | measure | value |",
    "|---|---|---|",
    ...(run.report ? selftestRows(run.report).map((r) => `| ${r.map(escape).join(" | ")} |`) : []),
    "",
    `Verdict: ${selftestPassed(run) ? "pass" : "not passed"}.`,
    "",
  ];
  return lines.join("\n");
}

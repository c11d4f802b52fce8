import { describe, expect, it } from "vitest";
import type { MetricsSeries } from "../../../src-shared/dashboard/metrics-history.js";
import { tempDatabases } from "../../../test-support/temp-database.js";
import { MetricsHistoryStore, type HistoryRow } from "./history-store.js";
import { buildMetricsHistory, lines, NODE_LINES } from "./history-view.js";
import { NodeTelemetry } from "./node-telemetry.js";

const openDb = tempDatabases("llorch-history-view-");

/** The per-node and per-pool lines as the page drew them from the whole prefix: the first `limit` subjects in row order. */
const linesOfWholePrefix = (rows: HistoryRow[], field: string, name: (subject: string) => string, limit: number): MetricsSeries[] => lines(rows, field, name, limit);

describe("the Metrics view's cluster page", () => {
  it("draws the same per-node and per-pool lines from the first series as from the whole prefix", () => {
    const store = new MetricsHistoryStore(openDb());
    const step = 5000;
    const now = 1_795_000_000_000;
    let seed = 3;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    // 40 nodes and 30 pools (more than the 16 lines), ids that sort differently as strings than as numbers,
    // nodes that stopped before the range, nodes that only started (their points still in memory).
    const nodeIds = Array.from({ length: 40 }, (_, i) => (i >= 34 ? `a${i}` : i % 3 === 0 ? `n${i}` : `n${i}.x`));
    for (let s = 0; s < 300; s++) {
      const at = now - (300 - s) * step;
      const values = new Map<string, number>();
      nodeIds.forEach((id, i) => {
        if (i < 6 && s > 100) return; // gone long before the 15 min range
        if (i >= 34 && s < 295) return; // new: a few points, not stored yet
        if (rand(4) !== 0) values.set(`node|${id}|cpu`, rand(1000) / 10);
        values.set(`node|${id}|mem_ratio`, rand(100));
        values.set(`node|${id}|load1`, rand(4));
      });
      for (let p = 0; p < 30; p++) {
        values.set(`pool|p${p}|tokens_per_s`, rand(300));
        if (rand(3) === 0) values.set(`pool|p${p}|ft_p50`, rand(90));
        if (rand(5) === 0) values.set(`pool|p${p}|ft_p95`, rand(200));
      }
      values.set("cluster||tokens_per_s", rand(9000));
      store.write(0, at, values);
    }
    const view = buildMetricsHistory(store, new NodeTelemetry(), { range: "15m" }, now, step, null);
    const from = view.from_ms;
    const all = (prefix: string) => store.query(0, prefix, from, view.step_ms);
    const chart = (id: string) => view.charts.find((c) => c.id === id)?.series ?? [];
    expect(chart("node-cpu")).toStrictEqual(linesOfWholePrefix(all("node|"), "cpu", (n) => n, NODE_LINES));
    expect(chart("node-memory")).toStrictEqual(linesOfWholePrefix(all("node|"), "mem_ratio", (n) => n, NODE_LINES));
    expect(chart("node-cpu")).toHaveLength(NODE_LINES);
    expect(chart("tokens").slice(1)).toStrictEqual(linesOfWholePrefix(all("pool|"), "tokens_per_s", (p) => p, 16));
    expect(chart("first-token")).toStrictEqual([
      ...linesOfWholePrefix(all("pool|"), "ft_p50", (p) => `${p} p50`, 16),
      ...linesOfWholePrefix(all("pool|"), "ft_p95", (p) => `${p} p95`, 16),
    ]);
    // Nodes seen only in memory so far (a34 … a39) sort first and are drawn; a node gone before the range is not.
    const names = chart("node-memory").map((s) => s.name);
    expect(names.slice(0, 6)).toStrictEqual(["a34", "a35", "a36", "a37", "a38", "a39"]);
    expect(names).not.toContain("n3");
  });
});

#!/usr/bin/env node
// CPU per step of the Metrics view's history store (src-main/orchestrator/metrics/history-store.ts) as a
// 1,000-node cluster with telemetry feeds it: ~12,000 series per step (5 node series, 5 per GPU, 1 per pool),
// each build's store in a fresh database, step after step, so the cost's growth with the table shows too.
//   npm run build && node bench/history-write-cost.mjs --dist <old>/dist,dist [--nodes 1000] [--steps 120] [--every 12]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { dist: { type: "string", default: "dist" }, nodes: { type: "string", default: "1000" }, steps: { type: "string", default: "120" }, every: { type: "string", default: "12" } } });
const nodes = Number(values.nodes);
const steps = Number(values.steps);
const series = [];
for (let n = 0; n < nodes; n++) {
  const id = `fleet-${String(n).padStart(4, "0")}`;
  for (const f of ["cpu", "mem_ratio", "mem_used", "mem_total", "load1"]) series.push(`node|${id}|${f}`);
  for (const f of ["util", "vram_used", "vram_total", "temp", "power"]) series.push(`gpu|${id}|0|${f}`);
  series.push(`pool|${id}-p0|tokens_per_s`);
}

for (const dist of values.dist.split(",")) {
  const { openDatabase } = await import(resolve(dist, "src-main/orchestrator/db/database.js"));
  const { MetricsHistoryStore } = await import(resolve(dist, "src-main/orchestrator/metrics/history-store.js"));
  const dir = mkdtempSync(join(tmpdir(), "llorch-history-bench-"));
  const db = openDatabase(join(dir, "orchestrator.db"));
  const store = new MetricsHistoryStore(db);
  let at = Date.now();
  const perStep = [];
  for (let s = 0; s < steps; s++) {
    at += 5000;
    const step = new Map(series.map((k, i) => [k, (i * 7 + s) % 100]));
    const c0 = process.cpuUsage();
    store.write(0, at, step);
    store.prune(at);
    const c = process.cpuUsage(c0);
    perStep.push((c.user + c.system) / 1000);
  }
  const t0 = performance.now();
  const rows = store.query(0, `node|fleet-0001|`, at - 3_600_000, 5000).length;
  const nodeQueryMs = performance.now() - t0;
  // The cluster view reads every node's series ("node|") over the hour, bucketed for its 360 points.
  const t1 = performance.now();
  const allRows = store.query(0, "node|", at - 3_600_000, 10_000).length;
  const allNodesQueryMs = performance.now() - t1;
  // The whole cluster page (GET /v2/metrics/history?range=15m), as the Metrics view refreshes it.
  const { buildMetricsHistory } = await import(resolve(dist, "src-main/orchestrator/metrics/history-view.js"));
  const { NodeTelemetry } = await import(resolve(dist, "src-main/orchestrator/metrics/node-telemetry.js"));
  const t2 = performance.now();
  buildMetricsHistory(store, new NodeTelemetry(), { range: "15m" }, at, 5000, null);
  const clusterPageMs = performance.now() - t2;
  const every = Number(values.every);
  const windows = [];
  for (let i = 0; i < perStep.length; i += every) windows.push(perStep.slice(i, i + every).reduce((a, b) => a + b, 0) / Math.min(every, perStep.length - i));
  console.log(JSON.stringify({ dist, series: series.length, steps, ms_cpu_per_step_by_window: windows.map((w) => Number(w.toFixed(1))), one_node_query_ms: Number(nodeQueryMs.toFixed(1)), one_node_query_rows: rows, all_nodes_query_ms: Math.round(allNodesQueryMs), all_nodes_query_rows: allRows, cluster_page_15m_ms: Math.round(clusterPageMs) }));
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

#!/usr/bin/env node
// Placement cost as the cluster grows: decisions per second of the pure placeTask() over clusters of
// 10 (baseline), 100 and 1000 nodes with 2 pools each, every strategy. Reports time per decision and
// the ratio to the 10-node baseline (linear scaling would be 10× and 100×).
//   npm run build && node bench/placement-scale.mjs [--short] [--json]
import { parseArgs } from "node:util";
import { placeTask } from "../dist/src-main/orchestrator/placement/place-task.js";

const { values } = parseArgs({ options: { short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const budgetMs = values.short ? 150 : 1000;
const models = Array.from({ length: 8 }, (_, i) => String(i).repeat(64).slice(0, 64).replace(/\d/g, "abcdefgh"[i]));

function cluster(nodes) {
  const out = [];
  for (let n = 0; n < nodes; n++) {
    for (let p = 0; p < 2; p++) {
      const model = models[(n + p) % models.length];
      out.push({
        node_id: `node-${String(n).padStart(4, "0")}`, pool_id: `node-${n}.pool-${p}`, node_schedulable: n % 17 !== 0, node_state: n % 17 === 0 ? "Offline" : "Online",
        ready: n % 13 !== 0, draining: false, slots_total: 4, slots_free: (n * 7 + p) % 5, vram_free_bytes: ((n * 31) % 24) * 2 ** 30, device_mask: String(p), models_available: [model], loaded_model: model,
      });
    }
  }
  return out;
}

function measure(candidates, strategy) {
  const request = { model_sha256: models[3], model_size_bytes: 4 * 2 ** 30, mode: "auto", allow_fallback: true };
  let decisions = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs) {
    for (let i = 0; i < 20; i++) placeTask(request, candidates, { strategy, sequence: decisions++, seed: 1 });
  }
  return ((performance.now() - t0) * 1000) / decisions; // µs per decision
}

const sizes = [10, 100, 1000];
const results = [];
for (const strategy of ["least-loaded", "round-robin", "random"]) {
  const perSize = sizes.map((n) => ({ nodes: n, us: measure(cluster(n), strategy) }));
  const base = perSize[0].us;
  for (const r of perSize) results.push({ strategy, nodes: r.nodes, us_per_decision: Math.round(r.us * 10) / 10, ratio_to_10_nodes: Math.round((r.us / base) * 10) / 10 });
}
if (values.json) console.log(JSON.stringify({ bench: "placement-scale", results }));
else for (const r of results) console.log(`placement ${r.strategy.padEnd(12)} ${String(r.nodes).padStart(4)} nodes: ${r.us_per_decision} µs/decision (${r.ratio_to_10_nodes}× the 10-node baseline)`);

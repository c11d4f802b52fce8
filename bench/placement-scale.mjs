#!/usr/bin/env node
// Placement cost as the cluster grows: decisions per second of the pure placeTask() over clusters of
// 10 (baseline), 100 and 1000 nodes with 2 pools each, every strategy. Reports mean and p99 time per
// decision (the losers' explanation is lazy and not read here), scanning every candidate and with the
// pump's index by model, and the ratio to the 10-node baseline (linear scaling would be 10× and 100×).
//   npm run build && node bench/placement-scale.mjs [--short] [--json]
import { parseArgs } from "node:util";
import { placeTask } from "../dist/src-main/orchestrator/placement/place-task.js";

const { values } = parseArgs({ options: { short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const budgetMs = values.short ? 150 : 1000;
// Flat strings, as sha256s parsed from JSON are: the rope replace() returns makes every === with
// another id walk the rope (~250 ns), which measured V8's cons strings rather than placement.
const models = Array.from({ length: 8 }, (_, i) => JSON.parse(JSON.stringify("abcdefgh"[i].repeat(64))));

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

const request = { model_sha256: models[3], model_size_bytes: 4 * 2 ** 30, mode: "auto", allow_fallback: true };

/** `holders`: the pump's per-snapshot index by model (scheduling/holders-by-model.ts), or undefined for a full scan. */
function measure(candidates, strategy, holders) {
  const samples = [];
  let decisions = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs) {
    // Each decision timed on its own, for the p99 (the clock read costs well under a microsecond).
    const s = performance.now();
    placeTask(request, candidates, { strategy, sequence: decisions++, seed: 1 }, holders);
    samples.push(performance.now() - s);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { us: mean * 1000, p99: (samples[Math.floor(samples.length * 0.99)] ?? 0) * 1000 };
}

const sizes = [10, 100, 1000];
const results = [];
for (const strategy of ["least-loaded", "round-robin", "random"]) {
  const perSize = sizes.map((n) => {
    const candidates = cluster(n);
    const holders = candidates.filter((c) => c.loaded_model === request.model_sha256 || c.models_available.includes(request.model_sha256));
    return { nodes: n, scan: measure(candidates, strategy), indexed: measure(candidates, strategy, holders) };
  });
  const round = (v) => Math.round(v * 10) / 10;
  for (const r of perSize) {
    results.push({
      strategy, nodes: r.nodes, us_per_decision: round(r.scan.us), p99_us: round(r.scan.p99), ratio_to_10_nodes: round(r.scan.us / perSize[0].scan.us),
      indexed_us_per_decision: round(r.indexed.us), indexed_p99_us: round(r.indexed.p99), indexed_ratio_to_10_nodes: round(r.indexed.us / perSize[0].indexed.us),
    });
  }
}
if (values.json) console.log(JSON.stringify({ bench: "placement-scale", results }));
else {
  for (const r of results) {
    console.log(
      `placement ${r.strategy.padEnd(12)} ${String(r.nodes).padStart(4)} nodes: scan ${r.us_per_decision} µs/decision, p99 ${r.p99_us} µs (${r.ratio_to_10_nodes}× 10 nodes)` +
        ` | model index ${r.indexed_us_per_decision} µs, p99 ${r.indexed_p99_us} µs (${r.indexed_ratio_to_10_nodes}×)`,
    );
  }
}

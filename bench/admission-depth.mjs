#!/usr/bin/env node
// Admission rate as the queue grows: POST /v2/tasks → 202 (journaled, queued) with the queue near
// empty (baseline) and again with `--depth` tasks already waiting, in one run against one
// orchestrator. A simulated node (bench/simulated-node.mjs) holds the only slot, so nothing drains.
// Reports both rates and their ratio (the target is ≥ 0.8 at depth 10,000).
// `--keys N` (N ≥ 2): the fair-share worst case. One API key fills the queue and the measured windows
// come from N-1 other keys round robin, so every measured task is placed near the head of the deep
// queue (its fair place), moving every task behind it, instead of appended at the tail.
//   npm run build && node bench/admission-depth.mjs [--depth 10000] [--window 1000] [--concurrency 32] [--keys 1] [--short] [--json]
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds } from "./bench-processes.mjs";
import { startHoldingNode } from "./simulated-node.mjs";

const { values } = parseArgs({ options: { depth: { type: "string", default: "10000" }, window: { type: "string", default: "1000" }, concurrency: { type: "string", default: "32" }, keys: { type: "string", default: "1" }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const depth = values.short ? 600 : Number(values.depth);
const window = values.short ? 150 : Number(values.window);
const concurrency = Number(values.concurrency);
const keys = Math.max(1, Number(values.keys));
const token = "bench-token-0123456789abcdef0123456789abcd";
const ws = benchWorkspace("llorch-bench-admission-");
const capacity = String(depth + window + 10);
// The flooding key must not meet its per-key cap (only set with --keys: an older build would not know the variable).
const { url: orchUrl, child: orch } = await ws.orchestratorProcess(token, { ORCHD_ADMISSION_CAPACITY: capacity, ...(keys > 1 ? { ORCHD_ADMISSION_MAX_QUEUED_PER_KEY: capacity } : {}) });
const node = await startHoldingNode({ orchUrl, token, nodeId: "sim-1", poolId: "sim-1-p0", modelName: "bench-sim" });
let headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
/** With --keys: the flooding key's headers and the other keys' (used round robin). */
const keyHeaders = [];
for (let i = 0; keys > 1 && i < keys; i++) {
  const res = await fetch(`${orchUrl}/v2/auth/keys`, { method: "POST", headers, body: JSON.stringify({ name: `bench-key-${i}`, scopes: ["inference"] }) });
  if (res.status !== 201) throw new Error(`creating an API key answered ${res.status}: ${await res.text()}`);
  keyHeaders.push({ authorization: `Bearer ${(await res.json()).key}`, "content-type": "application/json" });
}
let nextKey = 0;
const flooding = () => keys > 1 && (headers = keyHeaders[0]);
const others = () => keys > 1 && (headers = keyHeaders[1 + (nextKey++ % (keys - 1))]);

async function admit() {
  const body = { task_id: randomUUID(), session_id: randomUUID(), workload: "completion", model_ref: node.modelName, engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "hi", max_tokens: 8, deadline_ms: 600_000 };
  if (keys > 1 && headers !== keyHeaders[0]) others();
  const res = await fetch(`${orchUrl}/v2/tasks`, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`admission answered ${res.status}: ${text}`);
}

/** The orchestrator's CPU per 202 (µs) in the last admitMany: unlike the rate, it holds on a loaded machine. */
let lastCpuUs = 0;

/** Admits `count` tasks with `concurrency` in flight; returns tasks per second. */
async function admitMany(count) {
  const cpu0 = cpuSeconds(orch.pid);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      await admit();
    }
  }));
  const rate = (count * 1000) / (performance.now() - t0);
  lastCpuUs = Math.round(((cpuSeconds(orch.pid) - cpu0) * 1e6) / count);
  return rate;
}

await admit(); // takes the only slot for good
await new Promise((r) => setTimeout(r, 200));
others();
await admitMany(Math.min(100, window)); // warm-up
const shallow = await admitMany(window);
const shallowCpuUs = lastCpuUs;
const fill = depth - window - Math.min(100, window);
flooding();
if (fill > 0) await admitMany(fill);
others();
const deep = await admitMany(window);
const result = { depth, window, concurrency, keys, rate_shallow_per_s: Math.round(shallow), rate_deep_per_s: Math.round(deep), ratio: Number((deep / shallow).toFixed(3)), cpu_us_shallow: shallowCpuUs, cpu_us_deep: lastCpuUs, cpu_ratio: Number((lastCpuUs / Math.max(1, shallowCpuUs)).toFixed(3)) };
await node.stop();
if (values.json) console.log(JSON.stringify(result));
else console.log(`admission: ${result.rate_shallow_per_s}/s near depth 0, ${result.rate_deep_per_s}/s at depth ${depth} → ${result.ratio}× (target ≥ 0.8); orchestrator CPU per 202 ${result.cpu_us_shallow} → ${result.cpu_us_deep} µs`);
process.exit(0);

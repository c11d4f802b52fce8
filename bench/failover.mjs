#!/usr/bin/env node
// Failover under load: closed-loop clients stream completions through the orchestrator to two
// workers. Phase 1 (baseline) runs undisturbed; phase 2 kills one worker (SIGKILL) a second in.
// Reports requests/s and success rate of each phase, the ratio phase 2 / baseline, how many requests
// were lost (WORKER_RESET after their first token — by design, never silently) and the longest gap
// without a completed request around the kill.
//   npm run build && node bench/failover.mjs [--seconds 5] [--clients 4] [--short] [--json]
import { parseArgs } from "node:util";
import { benchWorkspace, waitForReadyNodes } from "./bench-processes.mjs";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, clients: { type: "string", default: "4" }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const seconds = values.short ? 2 : Number(values.seconds);
const clients = Number(values.clients);
const token = "bench-token-0123456789abcdef0123456789abcd";
const ws = benchWorkspace("llorch-bench-failover-");
const modelsDir = await ws.tinyModel("bench-tiny");
const orchUrl = await ws.orchestrator(token);
const workers = {};
for (const node of ["a", "b"]) workers[node] = (await ws.worker(`node-${node}`, orchUrl, token, modelsDir, 2)).child;
const auth = { authorization: `Bearer ${token}` };
await waitForReadyNodes(orchUrl, token, 2);

/** One streamed completion; resolves with its outcome. */
async function request() {
  const t0 = performance.now();
  try {
    const res = await fetch(`${orchUrl}/v1/completions`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ model: "bench-tiny", prompt: "Hello", max_tokens: 64, stream: true }) });
    if (res.status !== 200) return { ok: false, kind: `http ${res.status}`, t0, t1: performance.now() };
    const text = await res.text();
    if (text.includes('"error"')) return { ok: false, kind: /"code":"(\w+)"/.exec(text)?.[1] ?? "error", t0, t1: performance.now() };
    return { ok: text.includes("[DONE]"), kind: "ok", t0, t1: performance.now() };
  } catch (err) {
    return { ok: false, kind: `client: ${err.message}`, t0, t1: performance.now() };
  }
}

async function phase(kill) {
  const results = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  let killedAt = null;
  if (kill) {
    setTimeout(() => {
      killedAt = performance.now();
      process.kill(workers.b.pid, "SIGKILL");
    }, Math.min(1000, (seconds * 1000) / 3));
  }
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) results.push(await request());
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const ok = results.filter((r) => r.ok);
  const done = ok.map((r) => r.t1).sort((a, b) => a - b);
  let longestGap = 0;
  if (killedAt !== null) {
    const around = [killedAt, ...done.filter((t) => t >= killedAt)];
    for (let i = 1; i < around.length; i++) longestGap = Math.max(longestGap, around[i] - around[i - 1]);
  }
  const errors = {};
  for (const r of results.filter((r) => !r.ok)) errors[r.kind] = (errors[r.kind] ?? 0) + 1;
  return { requests: results.length, ok: ok.length, req_per_s: Math.round((ok.length / elapsed) * 10) / 10, success_rate: Math.round((ok.length / results.length) * 1000) / 1000, errors, longest_gap_after_kill_ms: killedAt === null ? null : Math.round(longestGap) };
}

const baseline = await phase(false);
const failover = await phase(true);
const result = {
  bench: "failover",
  seconds,
  clients,
  baseline,
  failover,
  throughput_ratio: Math.round((failover.req_per_s / baseline.req_per_s) * 100) / 100,
  lost_requests: failover.requests - failover.ok,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`failover (${clients} clients, ${seconds} s per phase, 64-token streams, 2 nodes × 2 slots, node-b SIGKILLed):`);
  console.log(`  baseline: ${baseline.req_per_s} req/s, success ${baseline.success_rate}`);
  console.log(`  failover: ${failover.req_per_s} req/s, success ${failover.success_rate}, lost ${result.lost_requests} ${JSON.stringify(failover.errors)}, longest gap after the kill ${failover.longest_gap_after_kill_ms} ms`);
  console.log(`  throughput ratio failover/baseline: ${result.throughput_ratio}×`);
}
process.exit(0);

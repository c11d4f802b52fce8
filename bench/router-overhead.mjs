#!/usr/bin/env node
// Router overhead: the same short completion sent straight to a worker agent (baseline) and through
// the orchestrator (admission → placement → proxied stream), interleaved in one run on one tiny model.
// Reports p50/p95 latency of each path, the ratio orchestrator/direct and the added milliseconds; with
// `haproxy` installed, the same direct request through a bare HAProxy as the plain-L7-proxy peer.
// Also the orchestrator's CPU per request over the measured rounds (its process's CPU time while they
// ran, which also covers the worker's heartbeats: a steady, small share).
//   npm run build && node bench/router-overhead.mjs [--requests 100] [--tokens 4] [--cpu-prof <dir>] [--short] [--json]
// --cpu-prof writes V8 CPU profiles of the orchestrator and the worker agent into <dir> (read them with
// bench/cpu-profile-top.mjs). LLORCH_BENCH_ORCH_CLI runs another build's orchestrator (an A/B).
import { parseArgs } from "node:util";
import { readSseEvents } from "../dist/src-shared/streaming/read-sse.js";
import { join } from "node:path";
import { benchWorkspace, cpuSeconds, waitForReadyNodes } from "./bench-processes.mjs";

const { values } = parseArgs({ options: { requests: { type: "string", default: "100" }, tokens: { type: "string", default: "4" }, "cpu-prof": { type: "string" }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const requests = values.short ? 10 : Number(values.requests);
const maxTokens = Number(values.tokens);
const token = "bench-token-0123456789abcdef0123456789abcd";
const ws = benchWorkspace("llorch-bench-router-");
const modelsDir = await ws.tinyModel("bench-tiny");
const profDir = values["cpu-prof"];
const orch = await ws.orchestratorProcess(token, {}, profDir ? ["--cpu-prof", "--cpu-prof-dir", join(profDir, "orchestrator")] : []);
const orchUrl = orch.url;
const { url: workerUrl, child: workerChild } = await ws.worker("bench", orchUrl, token, modelsDir, 1, profDir ? ["--cpu-prof", "--cpu-prof-dir", join(profDir, "worker")] : []);
const auth = { authorization: `Bearer ${token}` };
const poolId = (await waitForReadyNodes(orchUrl, token, 1))[0].pools.find((p) => p.ready).pool_id;
const haproxy = await ws.haproxy(workerUrl);

let seq = 0;
async function direct(base = workerUrl) {
  const t0 = performance.now();
  const res = await fetch(`${base}/v2/pools/${poolId}/infer`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ task_id: `bench-${seq++}`, prompt: "Hello world", max_tokens: maxTokens, temperature: 0 }) });
  let tokens = 0;
  for await (const ev of readSseEvents(res.body)) {
    if (ev.event === "token") tokens++;
    if (ev.event === "end" || ev.event === "error") break;
  }
  if (tokens !== maxTokens) throw new Error(`direct: ${tokens} tokens`);
  return performance.now() - t0;
}
async function viaOrchestrator() {
  const t0 = performance.now();
  const res = await fetch(`${orchUrl}/v1/completions`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ model: "bench-tiny", prompt: "Hello world", max_tokens: maxTokens, temperature: 0 }) });
  const body = await res.json();
  if (body.usage?.completion_tokens !== maxTokens) throw new Error(`orchestrator: ${JSON.stringify(body)}`);
  return performance.now() - t0;
}

const viaHaproxy = () => direct(haproxy.url);
for (let i = 0; i < 5; i++) {
  await direct();
  await viaOrchestrator();
  if (haproxy.url) await viaHaproxy();
}
const cpu0 = cpuSeconds(orch.child.pid);
const d = [];
const o = [];
const h = [];
for (let i = 0; i < requests; i++) {
  // Alternate the order so drift on a busy machine hits every path alike.
  if (i % 2 === 0) {
    d.push(await direct());
    o.push(await viaOrchestrator());
    if (haproxy.url) h.push(await viaHaproxy());
  } else {
    if (haproxy.url) h.push(await viaHaproxy());
    o.push(await viaOrchestrator());
    d.push(await direct());
  }
}
const orchCpuMs = ((cpuSeconds(orch.child.pid) - cpu0) * 1000) / requests;
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const result = {
  bench: "router-overhead",
  requests,
  max_tokens: maxTokens,
  direct_ms: { p50: round(pct(d, 0.5)), p95: round(pct(d, 0.95)), p99: round(pct(d, 0.99)) },
  orchestrator_ms: { p50: round(pct(o, 0.5)), p95: round(pct(o, 0.95)), p99: round(pct(o, 0.99)) },
  ratio_p50: round(pct(o, 0.5) / pct(d, 0.5)),
  ratio_p95: round(pct(o, 0.95) / pct(d, 0.95)),
  added_ms_p50: round(pct(o, 0.5) - pct(d, 0.5)),
  added_ms_p95: round(pct(o, 0.95) - pct(d, 0.95)),
  // The issue's p99 target; with --requests 100 this is the second-worst request, so run ≥ 200.
  added_ms_p99: round(pct(o, 0.99) - pct(d, 0.99)),
  orchestrator_cpu_ms_per_request: round(orchCpuMs),
  haproxy: haproxy.url ? { ms: { p50: round(pct(h, 0.5)), p95: round(pct(h, 0.95)) }, added_ms_p50: round(pct(h, 0.5) - pct(d, 0.5)), added_ms_p95: round(pct(h, 0.95) - pct(d, 0.95)) } : { skipped: haproxy.skipped },
};
function round(x) {
  return Math.round(x * 100) / 100;
}
if (profDir) {
  // A profile is written at a clean exit: stop both processes and wait for them.
  for (const child of [orch.child, workerChild]) {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}
if (values.json) console.log(JSON.stringify(result));
else console.log(`router overhead (${requests} requests, ${maxTokens} tokens): direct p50 ${result.direct_ms.p50} ms / p95 ${result.direct_ms.p95} ms; via orchestrator p50 ${result.orchestrator_ms.p50} ms / p95 ${result.orchestrator_ms.p95} ms; ratio p50 ${result.ratio_p50}×, p95 ${result.ratio_p95}×; added ${result.added_ms_p50} ms at p50, ${result.added_ms_p99} ms at p99; orchestrator CPU ${result.orchestrator_cpu_ms_per_request} ms per request; ${result.haproxy.skipped ? `haproxy skipped (${result.haproxy.skipped})` : `haproxy p50 ${result.haproxy.ms.p50} ms / p95 ${result.haproxy.ms.p95} ms, added ${result.haproxy.added_ms_p50} ms at p50`}`);
process.exit(0);

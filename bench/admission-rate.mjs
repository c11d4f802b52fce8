#!/usr/bin/env node
// Sustained admission: POST /v2/tasks → 202 (validated, journaled, queued) against one orchestrator,
// interleaved round by round with the same POSTs to bare node:http (bench/bare-http-server.mjs), the
// floor in the same run, and to express with express.json() alone (bench/express-floor-server.mjs),
// the framework's own floor. A simulated node (bench/simulated-node.mjs) holds the only slot, so every
// admitted task is journaled and waits in the queue. Reports both rates and their ratio.
// `--otlp`: tracing on, spans exported to a bare OTLP/HTTP sink in this run (the cost of tracing on;
// without it tracing is off, the no-op path).
//   npm run build && node bench/admission-rate.mjs [--requests 4000] [--rounds 3] [--concurrency 32] [--cpu-prof <dir>] [--otlp] [--short] [--json]
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds } from "./bench-processes.mjs";
import { loadLoop } from "./load-loop.mjs";
import { startHoldingNode } from "./simulated-node.mjs";

const { values } = parseArgs({ options: { requests: { type: "string", default: "4000" }, rounds: { type: "string", default: "3" }, concurrency: { type: "string", default: "32" }, "cpu-prof": { type: "string" }, short: { type: "boolean", default: false }, otlp: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const requests = values.short ? 200 : Number(values.requests);
const rounds = values.short ? 1 : Number(values.rounds);
const concurrency = Number(values.concurrency);
const token = "bench-token-0123456789abcdef0123456789abcd";
const ws = benchWorkspace("llorch-bench-admission-rate-");
const nodeArgs = values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]] : [];
const otlpSink = values.otlp ? await ws.bareServer(200, {}) : null;
const orch = await ws.orchestratorProcess(token, { ORCHD_ADMISSION_CAPACITY: String(requests * rounds + 1000), ...(otlpSink !== null ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlpSink.url } : {}) }, nodeArgs);
const accepted = { task_id: "t", queue_position: 1, predicted_start_ms: 0, backoff_ms: 0, streams: { sse: "/v2/tasks/t/events" }, preparation: { steps: [] } };
const bare = await ws.bareServer(202, accepted);
const framework = await ws.expressServer(202, accepted);
const node = await startHoldingNode({ orchUrl: orch.url, token, nodeId: "sim-1", poolId: "sim-1-p0", modelName: "bench-sim" });
const make = () => ({ path: "/v2/tasks", headers: { authorization: `Bearer ${token}` }, body: { task_id: randomUUID(), session_id: randomUUID(), workload: "completion", model_ref: node.modelName, engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "hi", max_tokens: 8, deadline_ms: 600_000 } });

await loadLoop(orch.url, { count: 1, concurrency: 1, make, expectStatus: 202 }); // takes the only slot
await loadLoop(orch.url, { count: Math.min(500, requests), concurrency, make, expectStatus: 202 }); // warm-up
await loadLoop(bare.url, { count: Math.min(500, requests), concurrency, make, expectStatus: 202 });
await loadLoop(framework.url, { count: Math.min(500, requests), concurrency, make, expectStatus: 202 });
const rows = [];
// Server CPU per request (µs, from /proc): steadier than the rate when other work shares the cores.
async function measured(server, count) {
  const cpu0 = cpuSeconds(server.child.pid);
  const result = await loadLoop(server.url, { count, concurrency, make, expectStatus: 202 });
  result.cpu_us_per_request = Math.round(((cpuSeconds(server.child.pid) - cpu0) * 1e6) / count);
  return result;
}
for (let r = 0; r < rounds; r++) {
  const b = await measured(bare, requests);
  const e = await measured(framework, requests);
  const o = await measured(orch, requests);
  if (o.wrong_status > 0) throw new Error(`${o.wrong_status} admissions were not answered 202`);
  rows.push({ bare: b, express: e, orchestrator: o });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const result = {
  bench: "admission-rate",
  tracing: values.otlp ? "otlp" : "off",
  requests,
  rounds,
  concurrency,
  bare_per_s: median(rows.map((r) => r.bare.rate_per_s)),
  express_per_s: median(rows.map((r) => r.express.rate_per_s)),
  orchestrator_per_s: median(rows.map((r) => r.orchestrator.rate_per_s)),
  orchestrator_latency_ms: rows.at(-1).orchestrator.latency_ms,
  bare_cpu_us: median(rows.map((r) => r.bare.cpu_us_per_request)),
  express_cpu_us: median(rows.map((r) => r.express.cpu_us_per_request)),
  orchestrator_cpu_us: median(rows.map((r) => r.orchestrator.cpu_us_per_request)),
  load_average: Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]),
  rounds_detail: rows.map((r) => ({ bare: r.bare.rate_per_s, express: r.express.rate_per_s, orchestrator: r.orchestrator.rate_per_s, cpu_us: { bare: r.bare.cpu_us_per_request, express: r.express.cpu_us_per_request, orchestrator: r.orchestrator.cpu_us_per_request } })),
};
result.ratio = Number((result.orchestrator_per_s / result.bare_per_s).toFixed(3));
result.ratio_to_express = Number((result.orchestrator_per_s / result.express_per_s).toFixed(3));
await node.stop();
if (values["cpu-prof"]) {
  orch.child.kill("SIGTERM");
  await new Promise((r) => orch.child.once("exit", r));
}
if (values.json) console.log(JSON.stringify(result));
else console.log(`admission: ${result.orchestrator_per_s}/s through the orchestrator vs ${result.bare_per_s}/s bare node:http → ${result.ratio}× (target ≥ 5,000/s); express + express.json() alone ${result.express_per_s}/s (orchestrator ${result.ratio_to_express}× of it); p50 ${result.orchestrator_latency_ms.p50} ms p99 ${result.orchestrator_latency_ms.p99} ms; server CPU per request ${result.orchestrator_cpu_us} µs (bare ${result.bare_cpu_us}, express ${result.express_cpu_us}; ${(result.orchestrator_cpu_us / result.bare_cpu_us).toFixed(1)}× bare); load ${result.load_average}`);
process.exit(0);

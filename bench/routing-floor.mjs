#!/usr/bin/env node
// Routing floor: GET /v1/models (authenticated, the model list of the cluster) on one orchestrator
// with one simulated node holding one model, interleaved round by round with the same GETs to bare
// node:http answering the same JSON (bench/bare-http-server.mjs), the floor in the same run.
// Reports both rates, their ratio (target ≥ 0.3× bare) and the server CPU per request.
//   npm run build && node bench/routing-floor.mjs [--requests 4000] [--rounds 3] [--concurrency 32] [--cpu-prof <dir>] [--short] [--json]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds } from "./bench-processes.mjs";
import { loadLoop } from "./load-loop.mjs";
import { startHoldingNode } from "./simulated-node.mjs";

const { values } = parseArgs({ options: { requests: { type: "string", default: "4000" }, rounds: { type: "string", default: "3" }, concurrency: { type: "string", default: "32" }, "cpu-prof": { type: "string" }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const requests = values.short ? 200 : Number(values.requests);
const rounds = values.short ? 1 : Number(values.rounds);
const concurrency = Number(values.concurrency);
const token = "bench-token-0123456789abcdef0123456789abcd";
const ws = benchWorkspace("llorch-bench-routing-floor-");
const orch = await ws.orchestratorProcess(token, {}, values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]] : []);
const node = await startHoldingNode({ orchUrl: orch.url, token, nodeId: "sim-1", poolId: "sim-1-p0", modelName: "bench-sim" });
const make = () => ({ method: "GET", path: "/v1/models", headers: { authorization: `Bearer ${token}` } });

// The bare server answers exactly what the orchestrator answers, so both write the same bytes.
const listed = await (await fetch(`${orch.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } })).json();
if (!Array.isArray(listed.data) || listed.data.length === 0) throw new Error(`GET /v1/models listed no model: ${JSON.stringify(listed)}`);
const bare = await ws.bareServer(200, listed);

await loadLoop(orch.url, { count: Math.min(500, requests), concurrency, make, expectStatus: 200 }); // warm-up
await loadLoop(bare.url, { count: Math.min(500, requests), concurrency, make, expectStatus: 200 });
async function measured(server) {
  const cpu0 = cpuSeconds(server.child.pid);
  const result = await loadLoop(server.url, { count: requests, concurrency, make, expectStatus: 200 });
  result.cpu_us_per_request = Math.round(((cpuSeconds(server.child.pid) - cpu0) * 1e6) / requests);
  return result;
}
const rows = [];
for (let r = 0; r < rounds; r++) {
  // The order flips every round, so a busy moment of the box favours neither side.
  const [first, second] = r % 2 === 0 ? [bare, orch] : [orch, bare];
  const a = await measured(first);
  const b = await measured(second);
  const [bareRow, orchRow] = first === bare ? [a, b] : [b, a];
  if (orchRow.wrong_status > 0) throw new Error(`${orchRow.wrong_status} GET /v1/models were not answered 200`);
  rows.push({ bare: bareRow, orchestrator: orchRow });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const result = {
  bench: "routing-floor",
  requests,
  rounds,
  concurrency,
  bare_per_s: median(rows.map((r) => r.bare.rate_per_s)),
  orchestrator_per_s: median(rows.map((r) => r.orchestrator.rate_per_s)),
  orchestrator_latency_ms: rows.at(-1).orchestrator.latency_ms,
  bare_cpu_us: median(rows.map((r) => r.bare.cpu_us_per_request)),
  orchestrator_cpu_us: median(rows.map((r) => r.orchestrator.cpu_us_per_request)),
  load_average: Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]),
  rounds_detail: rows.map((r) => ({ bare: r.bare.rate_per_s, orchestrator: r.orchestrator.rate_per_s, cpu_us: { bare: r.bare.cpu_us_per_request, orchestrator: r.orchestrator.cpu_us_per_request } })),
};
result.ratio = Number((result.orchestrator_per_s / result.bare_per_s).toFixed(3));
await node.stop();
if (values["cpu-prof"]) {
  orch.child.kill("SIGTERM");
  await new Promise((r) => orch.child.once("exit", r));
}
if (values.json) console.log(JSON.stringify(result));
else console.log(`routing floor: GET /v1/models ${result.orchestrator_per_s}/s through the orchestrator vs ${result.bare_per_s}/s bare node:http → ${result.ratio}× (target ≥ 0.3×); p50 ${result.orchestrator_latency_ms.p50} ms p99 ${result.orchestrator_latency_ms.p99} ms; server CPU per request ${result.orchestrator_cpu_us} µs (bare ${result.bare_cpu_us}); load ${result.load_average}`);
process.exit(0);

#!/usr/bin/env node
// Flapping nodes under client load (fleet adversary, 2026-11-30): N simulated agents sharing one `worker`
// key (bench/simulated-node.mjs), infers answering after --infer-ms; every second --flap random agents stop
// heartbeating for --pause-ms (Suspect, then Offline), then resume (404, re-register), while --clients
// clients submit tasks back to back. Reports: every task's outcome (each must end once), false Suspect /
// Offline of agents never paused (target 0), re-registrations, calls with a wrong token (target 0), /health
// latency, orchestrator CPU share and RSS.
//   npm run build && node bench/fleet-flap.mjs [--nodes 1000] [--seconds 40] [--flap 20] [--pause-ms 8000] [--clients 50] [--infer-ms 1500] [--json]
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds, percentiles, rssMiB, waitForReadyNodes } from "./bench-processes.mjs";
import { startSimulatedFleet } from "./simulated-node.mjs";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "1000" }, seconds: { type: "string", default: "40" }, flap: { type: "string", default: "20" }, "pause-ms": { type: "string", default: "8000" }, clients: { type: "string", default: "50" }, "infer-ms": { type: "string", default: "1500" }, json: { type: "boolean", default: false } } });
const N = Number(values.nodes);
const TOKEN = "bench-token-0123456789abcdef0123456789abcd";
const ws = benchWorkspace("llorch-bench-flap-");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const { url, child } = await ws.orchestratorProcess(TOKEN, { ORCHD_ADMISSION_CAPACITY: "20000" });
const api = (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers } });
const key = await (await api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "fleet", scopes: ["worker"] }) })).json();
const fleet = await startSimulatedFleet({ orchUrl: url, token: key.key, count: N, registerConcurrency: 32, inferMs: Number(values["infer-ms"]) });
await waitForReadyNodes(url, TOKEN, N);
fleet.resetStats();

const everPaused = new Set();
const until = performance.now() + Number(values.seconds) * 1000;
const cpu0 = cpuSeconds(child.pid);
const t0 = performance.now();
const flapper = (async () => {
  while (performance.now() < until) {
    for (let k = 0; k < Number(values.flap); k++) {
      const i = Math.floor(Math.random() * N);
      if (everPaused.has(i)) continue;
      everPaused.add(i);
      fleet.setBeating(i, false);
      setTimeout(() => fleet.setBeating(i, true), Number(values["pause-ms"]));
    }
    await sleep(1000);
  }
})();
const ids = [];
const admitted = {};
const clients = Array.from({ length: Number(values.clients) }, async () => {
  while (performance.now() < until) {
    const task_id = randomUUID();
    const res = await api("/v2/tasks", { method: "POST", body: JSON.stringify({ task_id, session_id: randomUUID(), workload: "completion", model_ref: fleet.modelName, engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "Hello", max_tokens: 1, deadline_ms: 120_000 }) });
    admitted[res.status] = (admitted[res.status] ?? 0) + 1;
    await res.arrayBuffer();
    if (res.status === 202) ids.push(task_id);
    // Follow it to its end, as a client waiting for its answer.
    for (;;) {
      await sleep(500);
      const t = await (await api(`/v2/tasks/${task_id}`)).json();
      if (res.status !== 202 || ["completed", "failed", "canceled"].includes(t.state)) break;
    }
  }
});
const health = [];
const healthLoop = (async () => {
  while (performance.now() < until) {
    const h0 = performance.now();
    await fetch(`${url}/health`).catch(() => undefined);
    health.push(performance.now() - h0);
    await sleep(250);
  }
})();
await Promise.all([flapper, healthLoop, ...clients]);
const elapsed = (performance.now() - t0) / 1000;
const out = { bench: "fleet-flap", nodes: N, seconds: Number(values.seconds), paused_nodes: everPaused.size, admitted, tasks: ids.length, cpu_share: Number(((cpuSeconds(child.pid) - cpu0) / elapsed).toFixed(3)), rss_mib: rssMiB(child.pid), health_ms: percentiles(health) };
await sleep(Number(values["pause-ms"]) + 3000); // every agent heartbeating again
const states = {};
const codes = {};
for (const id of ids) {
  const t = await (await api(`/v2/tasks/${id}`)).json();
  states[t.state] = (states[t.state] ?? 0) + 1;
  if (t.error) codes[t.error.code] = (codes[t.error.code] ?? 0) + 1;
}
out.task_states = states;
out.failed_codes = codes;
out.dispatched_more_than_once = [...fleet.stats.infers.values()].filter((n) => n > 1).length;
const falseTransitions = {};
const list = (await (await api("/v2/nodes")).json()).nodes;
out.not_online_at_end = list.filter((n) => n.status !== "Online").length;
for (const [i, id] of fleet.nodeIds.entries()) {
  if (everPaused.has(i) || i % 5 !== 0) continue; // a sample of 1 in 5 never-paused agents
  for (const e of (await (await api(`/v2/nodes/${id}`)).json()).events ?? []) {
    if (e.kind === "suspect" || e.kind === "offline") falseTransitions[e.message.replace(/\d+/g, "N")] = (falseTransitions[e.message.replace(/\d+/g, "N")] ?? 0) + 1;
  }
}
out.false_transitions_sampled = falseTransitions;
out.reregistrations = fleet.stats.reregistrations;
out.heartbeat_statuses = Object.fromEntries(fleet.stats.statuses);
out.wrong_token_calls = fleet.stats.wrongToken;
out.node_calls = fleet.stats.calls;
await fleet.stop();
console.log(values.json ? JSON.stringify(out) : out);
process.exit(0);

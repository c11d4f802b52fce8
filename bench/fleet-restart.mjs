#!/usr/bin/env node
// The orchestrator SIGKILLed and restarted under a fleet (fleet adversary, 2026-11-30): N simulated agents
// (bench/simulated-node.mjs) registered with ONE `worker` API key made through the admin API (or each its
// own with --node-keys), 1 slot each, every infer answering after --infer-ms; Q tasks submitted (most queue),
// then SIGKILL and a restart on the same port and data dir. Reports: seconds until every node is Online
// again (they re-register on their heartbeat's 404), until the first task completes after the restart,
// until every task is terminal; task outcomes and how many were dispatched more than once; calls the
// orchestrator made on a node with another token than the one it registered with (target 0); /health
// latency while the cluster comes back; orchestrator RSS and CPU. Optional phases, after the restart:
// --revoke (revoke the shared key: every node Offline, every task terminal once).
// --chat C: C closed-loop clients hammer /v1/chat/completions from the restart until every task is terminal;
// each request must get an HTTP answer (a 200 or an error envelope, never a 500) within 60 s.
//   npm run build && node bench/fleet-restart.mjs [--nodes 1000] [--tasks 5000] [--infer-ms 2000] [--node-keys] [--revoke] [--chat 20] [--json]
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds, percentiles, rssMiB, waitForReadyNodes } from "./bench-processes.mjs";
import { createNodeKeys, startSimulatedFleet } from "./simulated-node.mjs";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "1000" }, tasks: { type: "string", default: "5000" }, "infer-ms": { type: "string", default: "2000" }, "node-keys": { type: "boolean", default: false }, join: { type: "boolean", default: false }, revoke: { type: "boolean", default: false }, chat: { type: "string", default: "0" }, json: { type: "boolean", default: false } } });
const N = Number(values.nodes);
const Q = Number(values.tasks);
const TOKEN = "bench-token-0123456789abcdef0123456789abcd";
const ws = benchWorkspace("llorch-bench-restart-");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const url = `http://127.0.0.1:${port}`;
const env = { LLORCH_API_TOKEN: TOKEN, LLORCH_LOG_LEVEL: "warn", ORCHD_ADMISSION_CAPACITY: String(Q * 2) };
const startOrch = async () => (await ws.start(["dist/src-main/headless/cli.js", "--bind", `127.0.0.1:${port}`, "--data-dir", join(ws.root, "orch")], env, (b) => /Dashboard:\s+(http:\/\/[\d.:]+)/.exec(b)?.[1])).child;
const api = async (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers } });
const nodes = async () => (await (await api("/v2/nodes")).json()).nodes;
const out = { bench: "fleet-restart", nodes: N, tasks: Q, infer_ms: Number(values["infer-ms"]), node_keys: values["node-keys"], join: values.join };

/** --join: a join token per node (minted by the admin, bound to nothing), each exchanged by its agent for its own key. */
async function joinNodes(count) {
  const keys = new Array(count);
  let i = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (i < count) {
      const n = i++;
      const minted = await (await api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify({}) })).json();
      const res = await fetch(`${url}/v2/nodes/join`, { method: "POST", headers: { authorization: `Bearer ${minted.token}`, "content-type": "application/json" }, body: JSON.stringify({ node_id: `fleet-${String(n).padStart(4, "0")}` }) });
      if (res.status !== 201) throw new Error(`join ${n}: ${res.status} ${await res.text()}`);
      keys[n] = (await res.json()).key;
    }
  }));
  out.join_s = Math.round((performance.now() - t) / 100) / 10;
  return keys;
}

let orch = await startOrch();
let key;
let tokens;
if (values["node-keys"]) tokens = await createNodeKeys(url, TOKEN, N);
else if (values.join) tokens = await joinNodes(N);
else key = await (await api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "fleet", scopes: ["worker"] }) })).json();
let t0 = performance.now();
// Until the kill every task holds its slot (the first N run, the rest stay queued); after it, --infer-ms.
let holdMs = 900_000;
const fleet = await startSimulatedFleet({ orchUrl: url, token: key?.key ?? TOKEN, tokens, count: N, registerConcurrency: 32, inferMs: () => holdMs });
await waitForReadyNodes(url, TOKEN, N);
out.register_s = Math.round((performance.now() - t0) / 100) / 10;

const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();
// Q tasks, 16 at a time: the first N start, the rest queue.
const ids = [];
const admitted = new Map();
let next = 0;
t0 = performance.now();
await Promise.all(Array.from({ length: 16 }, async () => {
  while (next < Q) {
    next++;
    const task_id = randomUUID();
    const res = await api("/v2/tasks", { method: "POST", body: JSON.stringify({ task_id, session_id: randomUUID(), workload: "completion", model_ref: fleet.modelName, engine: "llamacpp", ctx: 512, priority: "batch", prompt: "Hello", max_tokens: 1, deadline_ms: 600_000 }) });
    admitted.set(res.status, (admitted.get(res.status) ?? 0) + 1);
    if (res.status !== 202) {
      const text = await res.text();
      out.refused_sample ??= text.slice(0, 300);
      continue;
    }
    await res.arrayBuffer();
    if (res.status === 202) ids.push(task_id);
  }
}));
out.submit_s = Math.round((performance.now() - t0) / 100) / 10;
out.bench_loop_delay_max_ms = Math.round(loopDelay.max / 1e6);
// Why nodes changed status while nothing was wrong with them (the bench's own loop delay is above).
const transitions = {};
for (const n of (await nodes()).slice(0, 100)) {
  for (const e of (await (await api(`/v2/nodes/${n.node_id}`)).json()).events ?? []) {
    if (e.kind !== "suspect" && e.kind !== "offline") continue;
    const why = e.message.replace(/\d+/g, "N");
    transitions[why] = (transitions[why] ?? 0) + 1;
  }
}
out.transitions_first_100_nodes = transitions;
out.admitted = Object.fromEntries(admitted);
out.rss_before_kill_mib = rssMiB(orch.pid);

// SIGKILL (the first N tasks running, the rest queued), then the same binary on the same port and data dir.
const infersBeforeKill = new Map(fleet.stats.infers);
out.running_at_kill = infersBeforeKill.size;
holdMs = Number(values["infer-ms"]);
orch.kill("SIGKILL");
await new Promise((r) => orch.once("exit", r));
fleet.resetStats();
const tKill = performance.now();
orch = await startOrch();
const cpu0 = cpuSeconds(orch.pid);
out.listening_after_kill_s = Math.round((performance.now() - tKill) / 100) / 10;
const health = [];
const healthLoop = (async () => {
  while (health.length < 100000 && !out.done) {
    const h0 = performance.now();
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    health.push(ok ? performance.now() - h0 : 10_000);
    await sleep(250);
  }
})();

const chatStatuses = {};
const chatMs = [];
const chatLoop = Promise.all(Array.from({ length: Number(values.chat) }, async () => {
  while (!out.done) {
    const c0 = performance.now();
    const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", signal: AbortSignal.timeout(60_000), headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ model: fleet.modelName, messages: [{ role: "user", content: "hi" }], max_tokens: 1 }) }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    }, (err) => (err?.name === "TimeoutError" ? "timeout" : "connection"));
    chatStatuses[res] = (chatStatuses[res] ?? 0) + 1;
    if (typeof res === "number") chatMs.push(performance.now() - c0);
    else await sleep(100);
  }
}));
const terminal = new Set(["completed", "failed", "canceled"]);
const states = async () => {
  const counts = {};
  let i = 0;
  const results = [];
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (i < ids.length) {
      const id = ids[i++];
      const t = await (await api(`/v2/tasks/${id}`)).json();
      results.push(t);
      counts[t.state ?? t.code] = (counts[t.state ?? t.code] ?? 0) + 1;
    }
  }));
  return { counts, results };
};
const deadline = performance.now() + 240_000;
let lastOnline = 0;
while (performance.now() < deadline) {
  const list = await nodes().catch(() => []);
  lastOnline = list.filter((n) => n.status === "Online").length;
  if (out.first_dispatch_after_kill_s === undefined && fleet.stats.infers.size > 0) out.first_dispatch_after_kill_s = Math.round((performance.now() - tKill) / 100) / 10;
  if (lastOnline >= N && out.all_online_s === undefined) out.all_online_s = Math.round((performance.now() - tKill) / 100) / 10;
  if (out.all_online_s !== undefined) break;
  await sleep(500);
}
out.online_after_wait = lastOnline;
let final;
while (performance.now() < deadline) {
  final = await states();
  const open = Object.entries(final.counts).filter(([s]) => !terminal.has(s)).reduce((n, [, c]) => n + c, 0);
  if (open === 0) break;
  await sleep(3000);
}
out.all_terminal_s = Math.round((performance.now() - tKill) / 100) / 10;
out.task_states = final.counts;
out.failed_codes = final.results.filter((t) => t.state === "failed").reduce((m, t) => ((m[t.error?.code] = (m[t.error?.code] ?? 0) + 1), m), {});
const allInfers = new Map(infersBeforeKill);
for (const [id, n] of fleet.stats.infers) allInfers.set(id, (allInfers.get(id) ?? 0) + n);
out.dispatched_more_than_once = [...allInfers.values()].filter((n) => n > 1).length;
out.dispatched_after_restart = fleet.stats.infers.size;
out.reregistrations = fleet.stats.reregistrations;
out.heartbeat_statuses = Object.fromEntries(fleet.stats.statuses);
out.node_calls = fleet.stats.calls;
out.wrong_token_calls = fleet.stats.wrongToken;
out.health_ms = percentiles(health);
out.rss_after_mib = rssMiB(orch.pid);
out.cpu_s_since_restart = Math.round((cpuSeconds(orch.pid) - cpu0) * 10) / 10;

if (values.revoke && key !== undefined) {
  const tasks = [];
  for (let i = 0; i < Math.min(Q, N * 2); i++) {
    const task_id = randomUUID();
    const res = await api("/v2/tasks", { method: "POST", body: JSON.stringify({ task_id, session_id: randomUUID(), workload: "completion", model_ref: fleet.modelName, engine: "llamacpp", ctx: 512, priority: "batch", prompt: "Hello", max_tokens: 1, deadline_ms: 120_000 }) });
    await res.arrayBuffer();
    if (res.status === 202) tasks.push(task_id);
  }
  await sleep(500);
  fleet.resetStats();
  const tr = performance.now();
  const del = await api(`/v2/auth/keys/${key.id}`, { method: "DELETE" });
  out.revoke_status = del.status;
  while (performance.now() - tr < 60_000) {
    const list = await nodes();
    if (list.every((n) => n.status === "Offline")) break;
    await sleep(250);
  }
  out.revoke_all_offline_s = Math.round((performance.now() - tr) / 100) / 10;
  const callsAfter = fleet.stats.calls;
  await sleep(5000);
  out.revoke_node_calls_5s_after_offline = fleet.stats.calls - callsAfter;
  const counts = {};
  for (const id of tasks) {
    const t = await (await api(`/v2/tasks/${id}`)).json();
    counts[t.state] = (counts[t.state] ?? 0) + 1;
  }
  out.revoke_task_states = counts;
  out.revoke_heartbeat_statuses = Object.fromEntries(fleet.stats.statuses);
}
out.done = true;
await healthLoop;
await chatLoop;
if (Number(values.chat) > 0) {
  out.chat_statuses = chatStatuses;
  out.chat_ms = percentiles(chatMs);
}
await fleet.stop();
console.log(values.json ? JSON.stringify(out) : out);
process.exit(0);

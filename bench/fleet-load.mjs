#!/usr/bin/env node
// Heartbeats under heavy client load (fleet-under-load adversary, 2026-11-30): N simulated agents
// (bench/simulated-node.mjs, the real worker protocol, each on its own connection as a real agent is)
// heartbeat while clients hold --held task streams (the infer never ends) and --queued more tasks wait
// behind them; optionally --garbage heartbeats a second with bodies no schema accepts, --chat clients
// hammering /v1/chat/completions, --every <ms> careless agents. Reports every Suspect/Offline transition
// (none of these nodes is ever faulty, so each is false) and, for each, WHO WAS LATE, from the agent's own
// trace of its beats: "orchestrator" when the agent had sent a beat after the last one the orchestrator
// heard that was still unanswered at the transition (it sat unread in the orchestrator's sockets), "agent"
// when the agent itself sent nothing in time (this process starved: its timer fired late). Also the
// orchestrator's own event-loop delay (from /metrics), this process's (perf_hooks), /health latency and the
// dashboard feed. Baseline in the same run: the first --seconds window with the fleet alone (no client load).
//   npm run build && node bench/fleet-load.mjs [--nodes 1000] [--held 1000] [--queued 4000] [--seconds 30]
//     [--every 1000] [--garbage 1000] [--chat 0] [--max-sockets N] [--json]
import { randomUUID } from "node:crypto";
import { request as httpRequest, Agent as HttpAgent } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds, percentiles } from "./bench-processes.mjs";
import { jsonRequest } from "./json-request.mjs";
import { startSimulatedFleet } from "./simulated-node.mjs";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "1000" }, held: { type: "string", default: "1000" }, queued: { type: "string", default: "4000" }, seconds: { type: "string", default: "30" }, every: { type: "string" }, "cpu-prof": { type: "string" }, garbage: { type: "string", default: "0" }, chat: { type: "string", default: "0" }, silence: { type: "string", default: "0" }, "max-sockets": { type: "string" }, env: { type: "string", multiple: true, default: [] }, json: { type: "boolean", default: false } } });
const N = Number(values.nodes);
const HELD = Math.min(Number(values.held), N);
const Q = Number(values.queued);
const SECONDS = Number(values.seconds);
const GARBAGE = Number(values.garbage);
const CHAT = Number(values.chat);
// --silence K: a third into the loaded window, K agents stop heartbeating for 8 s (a real fault: Suspect, then
// Offline, their held streams fail over onto a cluster with no free slot); their transitions are not false.
const SILENCE = Number(values.silence);
const silenced = new Set(Array.from({ length: SILENCE }, (_, k) => Math.floor((k * N) / Math.max(1, SILENCE))));
const TOKEN = "bench-token-0123456789abcdef0123456789abcd";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tStart = performance.now();
const progress = (what) => process.stderr.write(`[fleet-load ${Math.round((performance.now() - tStart) / 1000)} s] ${what}\n`);
const ws = benchWorkspace("llorch-bench-fleetload-");
const extraEnv = Object.fromEntries(values.env.map((kv) => kv.split("=", 2)));
// --cpu-prof <dir>: the orchestrator writes a CPU profile there when the bench ends it (SIGTERM).
const { url, child: orch } = await ws.orchestratorProcess(TOKEN, { ORCHD_ADMISSION_CAPACITY: String((HELD + Q) * 2 + 1000), ...extraEnv }, values["cpu-prof"] === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]]);
const target = new URL(url);
const api = (path, body, method = body === undefined ? "GET" : "POST") => jsonRequest({ host: target.hostname, port: target.port, path, method, bearer: TOKEN, body, timeoutMs: 30_000 });
const out = { bench: "fleet-load", nodes: N, held: HELD, queued: Q, seconds: SECONDS, every: values.every ?? null, garbage_per_s: GARBAGE, chat_clients: CHAT };

// The fleet: one slot each, every infer held for the whole run.
const fleet = await startSimulatedFleet({ orchUrl: url, token: TOKEN, count: N, registerConcurrency: 32, inferMs: () => 3_600_000, trace: true, maxSockets: values["max-sockets"] === undefined ? Infinity : values["max-sockets"] === "own" ? "own" : Number(values["max-sockets"]), fixedIntervalMs: values.every === undefined ? undefined : Number(values.every) });
progress("fleet registered");
for (;;) {
  const { json } = await api("/v2/nodes");
  if ((json?.nodes ?? []).filter((n) => n.status === "Online").length >= N) break;
  await sleep(200);
}

/** The orchestrator's own event-loop delay: prom-client's default metric (max since the last scrape), scraped every second. */
async function orchLoopDelay(until) {
  const maxes = [];
  while (Date.now() < until) {
    const res = await new Promise((resolve) => {
      const req = httpRequest(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }, (r) => {
        let text = "";
        r.on("data", (c) => (text += c));
        r.on("end", () => resolve(text));
      });
      req.on("error", () => resolve(""));
      req.end();
    });
    const m = /orchd_process_nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([\d.e+-]+)/.exec(res);
    if (m) maxes.push(Number(m[1]) * 1000);
    await sleep(1000);
  }
  return percentiles(maxes);
}

async function healthLoop(until) {
  const ms = [];
  while (Date.now() < until) {
    const t0 = performance.now();
    const { status } = await jsonRequest({ host: target.hostname, port: target.port, path: "/health", method: "GET", bearer: TOKEN, timeoutMs: 10_000 });
    ms.push(status === 200 ? performance.now() - t0 : 10_000);
    await sleep(250);
  }
  return percentiles(ms);
}

/** The dashboard's feed (protocol 2): time to its snapshot, and whether it stayed open and kept sending. */
function openFeed() {
  const feed = { snapshot_ms: null, frames: 0, closed: false, lastFrameAt: 0, maxGapMs: 0 };
  const t0 = performance.now();
  const req = httpRequest(`${url}/v2/events?protocol=2`, { headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream" } }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk) => {
      const now = performance.now();
      if (feed.lastFrameAt > 0) feed.maxGapMs = Math.max(feed.maxGapMs, now - feed.lastFrameAt);
      feed.lastFrameAt = now;
      feed.frames += (chunk.match(/\n\n/g) ?? []).length;
      if (feed.snapshot_ms === null && chunk.includes("snapshot_end")) feed.snapshot_ms = Math.round(now - t0);
    });
    res.on("close", () => (feed.closed = true));
  });
  req.on("error", () => (feed.closed = true));
  req.end();
  feed.close = () => req.destroy();
  return feed;
}

/** Sends `perSecond` heartbeats a second that no schema accepts (to real node ids and unknown ones): each must get a 4xx. */
async function garbage(until, perSecond) {
  const statuses = {};
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 32 });
  const bodies = ["{", "null", "[]", '{"pools":"x"}', '{"timestamp":1,"pools":[{"pool_id":7}]}', "\u0000\u0001", '{"pools":[' + "{},".repeat(200) + "{}]}"];
  let i = 0;
  const tick = 50;
  while (Date.now() < until) {
    const t0 = Date.now();
    const batch = Math.max(1, Math.round((perSecond * tick) / 1000));
    const sends = [];
    for (let k = 0; k < batch; k++, i++) {
      const node = i % 2 === 0 ? fleet.nodeIds[i % N] : `ghost-${i % 5000}`;
      const body = bodies[i % bodies.length];
      sends.push(new Promise((resolve) => {
        const req = httpRequest({ host: target.hostname, port: target.port, path: `/v2/nodes/${node}/heartbeat`, method: "POST", agent, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode));
        });
        req.setTimeout(10_000, () => req.destroy());
        req.on("error", () => resolve(0));
        req.end(body);
      }).then((s) => (statuses[s] = (statuses[s] ?? 0) + 1)));
    }
    await Promise.all(sends);
    await sleep(Math.max(0, tick - (Date.now() - t0)));
  }
  agent.destroy();
  return statuses;
}

/** `clients` closed-loop clients on /v1/chat/completions (not streamed): every one must get an answer or a clean error. */
async function chat(until, clients) {
  const statuses = {};
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < until) {
      const { status } = await jsonRequest({ host: target.hostname, port: target.port, path: "/v1/chat/completions", bearer: TOKEN, body: { model: fleet.modelName, messages: [{ role: "user", content: "hi" }], max_tokens: 1 }, timeoutMs: 5_000 });
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }));
  return statuses;
}

/** The kernel's count of connections dropped because a listen queue was full (box-wide: other processes count too). */
function tcpExt(name = "ListenOverflows") {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n").filter((l) => l.startsWith("TcpExt:"));
  const [names, nums] = lines.map((l) => l.split(/\s+/));
  return Number(nums?.[names?.indexOf(name) ?? -1] ?? NaN);
}
const listenOverflows = () => tcpExt("ListenOverflows");

/** One measured window: the fleet heartbeating while `load` runs; every transition and who was late. */
async function window(label, load, since) {
  progress(`window ${label}`);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  fleet.resetStats();
  const startedAt = Date.now();
  const until = startedAt + SECONDS * 1000;
  const cpu0 = cpuSeconds(orch.pid);
  const overflows0 = listenOverflows();
  const synRetrans0 = tcpExt("TCPSynRetrans");
  const feed = openFeed();
  const [health, orchLoop, extra] = await Promise.all([healthLoop(until), orchLoopDelay(until), load(until)]);
  const cpu = cpuSeconds(orch.pid) - cpu0;
  loopDelay.disable();
  feed.close();
  const res = { listen_overflows_box_wide: listenOverflows() - overflows0, syn_retransmits_box_wide: tcpExt("TCPSynRetrans") - synRetrans0, heartbeats_per_s: Math.round(fleet.stats.heartbeats / SECONDS), heartbeat_ms: percentiles(fleet.stats.latencies), agent_timer_late_ms: percentiles(fleet.stats.timerLateMs), heartbeat_statuses: Object.fromEntries(fleet.stats.statuses), orchestrator_core: Number((cpu / SECONDS).toFixed(3)), orchestrator_loop_delay_max_ms: orchLoop, bench_loop_delay_ms: { p99: Math.round(loopDelay.percentile(99) / 1e6), max: Math.round(loopDelay.max / 1e6) }, health_ms: health, feed: { snapshot_ms: feed.snapshot_ms, frames: feed.frames, closed_early: feed.closed, max_gap_ms: Math.round(feed.maxGapMs) }, ...extra };
  progress(`window ${label} done: ${JSON.stringify(res)}; reading node events`);
  if (values["cpu-prof"] !== undefined && label === "under_load") {
    // Profiling: end the orchestrator now so its profile covers the loaded window, not the events read after it.
    orch.kill("SIGTERM");
    await new Promise((r) => orch.once("exit", r));
    progress("orchestrator ended, profile written");
    process.exit(0);
  }
  res.transitions = await transitionsSince(since ?? startedAt);
  out[label] = res;
}

/** Every Suspect/Offline event since `since` on every node, each judged by the agent's own trace. */
async function transitionsSince(since) {
  const verdicts = { orchestrator: 0, agent: 0 };
  const byKind = {};
  const samples = [];
  let i = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (i < N) {
      const index = i++;
      const nodeId = fleet.nodeIds[index];
      if (silenced.has(index)) continue;
      const { json } = await api(`/v2/nodes/${nodeId}`);
      for (const e of json?.events ?? []) {
        if (e.at_ms < since || (e.kind !== "suspect" && e.kind !== "offline")) continue;
        byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
        const silence = Number(/no heartbeat for (\d+) ms/.exec(e.message)?.[1] ?? NaN);
        const lastHeard = e.at_ms - silence;
        // A beat sent after the last one heard and still unanswered when the node was marked: the orchestrator had it unread.
        const beats = fleet.beats(nodeId);
        const pending = beats.find(([, sent, answered]) => sent > lastHeard + 50 && sent < e.at_ms && answered > e.at_ms);
        const who = pending !== undefined ? "orchestrator" : "agent";
        verdicts[who]++;
        if (samples.length < 6) samples.push({ node: nodeId, kind: e.kind, message: e.message, who, beats_near: beats.filter(([, sent]) => sent > lastHeard - 3000 && sent < e.at_ms + 3000).map(([due, sent, answered, status]) => ({ due: due - e.at_ms, sent: sent - e.at_ms, answered: answered === Infinity ? "never" : answered - e.at_ms, status })) });
      }
    }
  }));
  return { ...byKind, who_was_late: verdicts, samples };
}

// Window 1 (baseline): the fleet alone.
await window("baseline_fleet_alone", async () => ({}));

// Hold HELD streams (each a /v2 task whose infer never ends) and queue Q more behind them, then window 2.
const t0 = performance.now();
const submitStartedAt = Date.now();
const submitCpu0 = [cpuSeconds(orch.pid), process.cpuUsage()];
const admitted = {};
let next = 0;
await Promise.all(Array.from({ length: 16 }, async () => {
  while (next < HELD + Q) {
    next++;
    const { status } = await api("/v2/tasks", { task_id: randomUUID(), session_id: randomUUID(), workload: "completion", model_ref: fleet.modelName, engine: "llamacpp", ctx: 512, priority: "batch", prompt: "Hello", max_tokens: 1, deadline_ms: 3_600_000 });
    admitted[status] = (admitted[status] ?? 0) + 1;
    if (next % 500 === 0) progress(`submitted ${next}: orchestrator ${cpuSeconds(orch.pid).toFixed(1)} s CPU, bench ${(process.cpuUsage().user / 1e6).toFixed(1)} s`);
  }
}));
progress("submitted");
const submitSeconds = (performance.now() - t0) / 1000;
const benchCpu = process.cpuUsage(submitCpu0[1]);
out.submit = { seconds: Math.round(submitSeconds * 10) / 10, orchestrator_core: Number(((cpuSeconds(orch.pid) - submitCpu0[0]) / submitSeconds).toFixed(3)), bench_core: Number(((benchCpu.user + benchCpu.system) / 1e6 / submitSeconds).toFixed(3)), statuses: admitted, held_streams: fleet.stats.infers.size };
await window("under_load", async (until) => {
  const silence = (async () => {
    if (SILENCE === 0) return;
    await sleep((until - Date.now()) / 3);
    progress(`silencing ${SILENCE} agents for 8 s`);
    for (const i of silenced) fleet.setBeating(i, false);
    await sleep(8000);
    for (const i of silenced) fleet.setBeating(i, true);
  })();
  const [garbageStatuses, chatStatuses] = await Promise.all([GARBAGE > 0 ? garbage(until, GARBAGE) : undefined, CHAT > 0 ? chat(until, CHAT) : undefined, silence]);
  return { garbage_statuses: garbageStatuses, chat_statuses: chatStatuses };
}, submitStartedAt); // transitions counted from the start of the submission (the queue filling is load too)
const { json: list } = await api("/v2/nodes");
// A silenced agent comes back through a 404 and a re-registration: give it a moment.
await sleep(SILENCE > 0 ? 3000 : 0);
const { json: listAfter } = await api("/v2/nodes");
out.not_online_at_end = (listAfter?.nodes ?? list?.nodes ?? []).filter((n) => n.status !== "Online").length;
out.false_transitions = ["baseline_fleet_alone", "under_load"].reduce((n, w) => n + (out[w].transitions.suspect ?? 0) + (out[w].transitions.offline ?? 0), 0);
out.ratio_heartbeat_p99_load_vs_alone = Number((out.under_load.heartbeat_ms.p99 / Math.max(0.01, out.baseline_fleet_alone.heartbeat_ms.p99)).toFixed(2));
await fleet.stop();
if (values["cpu-prof"] !== undefined) {
  orch.kill("SIGTERM");
  await new Promise((r) => orch.once("exit", r));
}
console.log(values.json ? JSON.stringify(out) : JSON.stringify(out, null, 1));
process.exit(out.false_transitions === 0 && out.not_online_at_end === 0 ? 0 : 1);

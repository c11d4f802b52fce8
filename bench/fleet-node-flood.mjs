#!/usr/bin/env node
// One misbehaving node inside a healthy fleet: `--nodes` simulated agents heartbeat as worker-agent does
// (bench/simulated-node.mjs, following next_heartbeat_ms) while one node — a valid worker key, its own
// registered id, the real protocol — heartbeats as fast as it can (test-support/heartbeat-flood.mjs, its
// own process: `--keep-alive` looping connections plus `--fresh` loops opening a connection per beat).
// Each orchestrator build/setting is measured twice in the same run: the fleet alone, then the fleet with
// the flood. Reports the orchestrator's CPU share of a core, the honest agents' heartbeat answer latency
// p50/p99 and failures, false Suspect/Offline transitions of honest nodes (from GET /v2/events), /health
// latency, the intervals told to honest agents, and the flood's rate and answers.
// `--limits 10,0`: one orchestrator per value of ORCHESTRATORD_HEARTBEAT_NODE_MAX_PER_INTERVAL (0 = no
// per-node limit, the behaviour before it existed), interleaved `--rounds` times.
//   npm run build && node bench/fleet-node-flood.mjs [--nodes 200] [--seconds 10] [--keep-alive 16] [--fresh 4] [--limits 10,0] [--rounds 1] [--pad 0] [--variant plain|models|flip] [--target own|other|unknown] [--cpu-prof <dir>] [--json]
import { request as httpRequest } from "node:http";
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds, percentiles } from "./bench-processes.mjs";
import { createNodeKeys, startSimulatedFleet } from "./simulated-node.mjs";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "200" }, seconds: { type: "string", default: "10" }, "keep-alive": { type: "string", default: "16" }, fresh: { type: "string", default: "4" }, limits: { type: "string", default: "10,0" }, rounds: { type: "string", default: "1" }, pad: { type: "string", default: "0" }, variant: { type: "string", default: "plain" }, "cpu-prof": { type: "string" }, target: { type: "string", default: "own" }, json: { type: "boolean", default: false } } });
const nodes = Number(values.nodes);
const seconds = Number(values.seconds);
const token = "bench-token-0123456789abcdef0123456789abcd";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function get(url, path) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = httpRequest(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ ms: performance.now() - t0, status: res.statusCode }));
    });
    req.setTimeout(10_000, () => req.destroy());
    req.on("error", () => resolve({ ms: performance.now() - t0, status: 0 }));
    req.end();
  });
}

/** Counts Suspect/Offline transitions per node from the dashboard stream (node_event frames). */
function watchTransitions(url, marked) {
  const req = httpRequest(`${url}/v2/events`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } }, (res) => {
    let buf = "";
    res.setEncoding("utf8");
    res.on("data", (chunk) => {
      buf += chunk;
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        if (!/^event: node_event$/m.test(frame)) continue;
        const to = /"to":"(\w+)"/.exec(frame)?.[1];
        const node = /"node_id":"([^"]+)"/.exec(frame)?.[1];
        if ((to === "Suspect" || to === "Offline") && node !== undefined) marked.push(`${node}:${to}`);
      }
    });
  });
  req.on("error", () => undefined);
  req.end();
  return () => req.destroy();
}

/** The flood process (test-support/heartbeat-flood.mjs) for `seconds`; resolves with its report. */
function flood(url, key, nodeId) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["test-support/heartbeat-flood.mjs", url, key, nodeId, String(seconds), values["keep-alive"], values.fresh, "100000000", values.pad, values.variant], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`flood exited ${code}`))));
  });
}

async function measure(fleet, pid, url, marked, during) {
  fleet.resetStats();
  const markedBefore = marked.length;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  const health = [];
  const probing = (async () => {
    while (performance.now() < until) {
      health.push((await get(url, "/health")).ms);
      await sleep(200);
    }
  })();
  const extra = await during();
  await probing;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  return {
    cpu_share: Number((cpu / elapsed).toFixed(3)),
    honest_heartbeats_per_s: Math.round(fleet.stats.heartbeats / elapsed),
    honest_latency_ms: percentiles(fleet.stats.latencies),
    honest_failures: fleet.stats.failures,
    honest_statuses: Object.fromEntries(fleet.stats.statuses),
    told_intervals: Object.fromEntries(fleet.stats.intervals),
    false_transitions: marked.length - markedBefore,
    health_ms: percentiles(health),
    ...extra,
  };
}

async function scenario(limit) {
  const ws = benchWorkspace("llorch-bench-flood-");
  const nodeArgs = values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", `${values["cpu-prof"]}/limit-${limit}`] : [];
  const orch = await ws.orchestratorProcess(token, { ORCHESTRATORD_HEARTBEAT_NODE_MAX_PER_INTERVAL: String(limit), ORCHESTRATORD_POOL_PROBE_INTERVAL_MS: "0" }, nodeArgs);
  const [floodKey] = await createNodeKeys(orch.url, token, 1);
  const fleet = await startSimulatedFleet({ orchUrl: orch.url, token, count: nodes, maxSockets: "own" });
  // The flooding node registers with its own worker key (and beats once: Online), as a real one would.
  const flooder = await startSimulatedFleet({ orchUrl: orch.url, token, tokens: [floodKey], count: 1, prefix: "rogue", watch: true });
  const marked = [];
  const stopWatching = watchTransitions(orch.url, marked);
  await sleep(2000);
  const calm = await measure(fleet, orch.child.pid, orch.url, marked, () => sleep(seconds * 1000).then(() => ({})));
  // --target own (its own id) | other (an honest node's id: 409s) | unknown (an id nobody registered: 404s).
  const target = values.target === "other" ? fleet.nodeIds[0] : values.target === "unknown" ? "made-up-node" : flooder.nodeIds[0];
  const flooded = await measure(fleet, orch.child.pid, orch.url, marked, async () => ({ flood: await flood(orch.url, floodKey, target) }));
  const list = (await (await fetch(`${orch.url}/v2/nodes`, { headers: { authorization: `Bearer ${token}` } })).json()).nodes;
  const honestNotOnline = list.filter((n) => n.node_id.startsWith("fleet-") && n.status !== "Online").length;
  stopWatching();
  await flooder.stop();
  await fleet.stop();
  if (values["cpu-prof"]) {
    orch.child.kill("SIGTERM"); // a clean exit writes the profile
    await new Promise((r) => orch.child.once("exit", r));
  } else orch.child.kill("SIGKILL");
  return { limit, calm, flooded, honest_not_online_at_end: honestNotOnline, marked: marked.filter((m) => m.startsWith("fleet-")).slice(0, 10) };
}

const results = [];
const limits = values.limits.split(",").map(Number);
for (let round = 0; round < Number(values.rounds); round++) for (const limit of limits) results.push(await scenario(limit));

if (values.json) console.log(JSON.stringify({ bench: "fleet-node-flood", nodes, seconds, keep_alive: Number(values["keep-alive"]), fresh: Number(values.fresh), pad: Number(values.pad), variant: values.variant, results }));
else {
  for (const r of results) {
    const f = r.flooded;
    console.log(`per-node limit ${r.limit === 0 ? "off" : `${r.limit}/interval`}, ${nodes} honest nodes:`);
    console.log(`  calm:    orchestrator ${(r.calm.cpu_share * 100).toFixed(1)}% of a core; honest beats p50 ${r.calm.honest_latency_ms.p50} ms p99 ${r.calm.honest_latency_ms.p99} ms; /health p99 ${r.calm.health_ms.p99} ms; false Suspect/Offline ${r.calm.false_transitions}`);
    console.log(`  flooded: orchestrator ${(f.cpu_share * 100).toFixed(1)}% of a core; honest beats p50 ${f.honest_latency_ms.p50} ms p99 ${f.honest_latency_ms.p99} ms max ${f.honest_latency_ms.max} ms, ${f.honest_failures} failed ${JSON.stringify(f.honest_statuses)}; intervals told ${JSON.stringify(f.told_intervals)}; /health p50 ${f.health_ms.p50} p99 ${f.health_ms.p99} ms; false Suspect/Offline ${f.false_transitions}`);
    console.log(`  flood: ${f.flood.sent} beats at ${f.flood.per_s}/s, answers ${JSON.stringify(f.flood.statuses)} Retry-After ${JSON.stringify(f.flood.retryAfter)}; honest not Online at end ${r.honest_not_online_at_end} ${r.marked.join(" ")}`);
  }
}
process.exit(0);

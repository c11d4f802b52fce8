#!/usr/bin/env node
// 1,000 simulated agents heartbeating against one orchestrator (bench/simulated-node.mjs, all in this
// process, loopback), each following the next_heartbeat_ms the orchestrator answers. Baseline in the
// same run: the same fleet against bare node:http (bench/bare-http-server.mjs). Reports the
// orchestrator's CPU share of one core and the baseline's, heartbeat answer latency p50/p99, false
// Suspect/Offline transitions (target 0), /health latency, and the dashboard snapshot's size and time.
//   npm run build && node bench/fleet-heartbeats.mjs [--nodes 1000] [--seconds 20] [--cpu-prof <dir>] [--short] [--json]
import { request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds, percentiles } from "./bench-processes.mjs";
import { startSimulatedFleet } from "./simulated-node.mjs";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "1000" }, seconds: { type: "string", default: "20" }, "cpu-prof": { type: "string" }, env: { type: "string", multiple: true, default: [] }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const nodes = values.short ? 40 : Number(values.nodes);
const seconds = values.short ? 3 : Number(values.seconds);
const token = "bench-token-0123456789abcdef0123456789abcd";
const ws = benchWorkspace("llorch-bench-fleet-");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const extraEnv = Object.fromEntries(values.env.map((kv) => kv.split("=", 2)));

/** Runs the fleet against `url` for the window; returns CPU share of `pid` and heartbeat stats. */
async function window(fleet, pid, during = async () => undefined) {
  fleet.resetStats();
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const extra = await during(t0 + seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const intervals = Object.fromEntries([...fleet.stats.intervals.entries()].sort((a, b) => a[0] - b[0]));
  return { cpu_share: Number((cpu / elapsed).toFixed(3)), heartbeats_per_s: Math.round(fleet.stats.heartbeats / elapsed), latency_ms: percentiles(fleet.stats.latencies), failures: fleet.stats.failures, reregistrations: fleet.stats.reregistrations, next_heartbeat_ms: intervals, ...extra };
}

function get(url, path) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = httpRequest(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let bytes = 0;
      res.on("data", (c) => (bytes += c.length));
      res.on("end", () => resolve({ ms: performance.now() - t0, bytes, status: res.statusCode }));
    });
    req.setTimeout(10_000, () => req.destroy());
    req.on("error", () => resolve({ ms: performance.now() - t0, bytes: 0, status: 0 }));
    req.end();
  });
}

/** Opens /v2/events; resolves when the snapshot frame is complete, with its size and time; counts later frames. */
function openEvents(url, counters) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = httpRequest(`${url}/v2/events`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } }, (res) => {
      let buf = "";
      let snapshot = null;
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        buf += chunk;
        let end;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          if (event === "snapshot" && snapshot === null) {
            snapshot = { ms: Math.round((performance.now() - t0) * 10) / 10, bytes: Buffer.byteLength(frame) };
            resolve({ snapshot, close: () => req.destroy() });
          } else if (event !== undefined && counters !== undefined) {
            counters.frames[event] = (counters.frames[event] ?? 0) + 1;
            if (event === "node_event") {
              const to = /"to":"(\w+)"/.exec(frame)?.[1];
              if (to === "Suspect" || to === "Offline") counters.falseOffline[to]++;
            }
          }
        }
      });
    });
    req.on("error", () => resolve({ snapshot: null, close: () => undefined }));
    req.end();
  });
}

// Baseline: the same fleet against bare node:http.
const bare = await ws.bareServer(200, { success: true, message: "ok", node_id: "x", next_heartbeat_ms: 1000 });
const bareFleet = await startSimulatedFleet({ orchUrl: bare.url, token, count: nodes, prefix: "bare" });
await sleep(1000);
const baseline = await window(bareFleet, bare.child.pid, (until) => sleep(until - performance.now()));
await bareFleet.stop();
bare.child.kill("SIGKILL");

// The orchestrator.
const nodeArgs = values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]] : [];
const orch = await ws.orchestratorProcess(token, { ORCHD_ADMISSION_CAPACITY: "1000", ...extraEnv }, nodeArgs);
const tReg = performance.now();
const fleet = await startSimulatedFleet({ orchUrl: orch.url, token, count: nodes });
const registerSeconds = Number(((performance.now() - tReg) / 1000).toFixed(1));
const counters = { frames: {}, falseOffline: { Suspect: 0, Offline: 0 } };
const events = await openEvents(orch.url, counters);
await sleep(2000); // warm-up: every agent on its own cadence
const measured = await window(fleet, orch.child.pid, async (until) => {
  const health = [];
  const snapshots = [];
  let nextSnapshot = performance.now() + 2000;
  while (performance.now() < until) {
    health.push((await get(orch.url, "/health")).ms);
    if (performance.now() >= nextSnapshot) {
      const s = await openEvents(orch.url);
      s.close();
      if (s.snapshot) snapshots.push(s.snapshot);
      nextSnapshot = performance.now() + 3000;
    }
    await sleep(200);
  }
  return { health_ms: percentiles(health), snapshot: { bytes: snapshots.at(-1)?.bytes ?? 0, ms: percentiles(snapshots.map((s) => s.ms)) } };
});
const list = await get(orch.url, "/v2/nodes");
const nodesJson = await (await fetch(`${orch.url}/v2/nodes`, { headers: { authorization: `Bearer ${token}` } })).json();
const notOnline = nodesJson.nodes.filter((n) => n.status !== "Online").length;
events.close();
await fleet.stop();
if (values["cpu-prof"]) {
  orch.child.kill("SIGTERM"); // a clean exit writes the profile
  await new Promise((r) => orch.child.once("exit", r));
}

const result = {
  bench: "fleet-heartbeats",
  nodes,
  seconds,
  register_s: registerSeconds,
  baseline: { cpu_share: baseline.cpu_share, heartbeats_per_s: baseline.heartbeats_per_s, latency_ms: baseline.latency_ms },
  orchestrator: measured,
  cpu_ratio: Number((measured.cpu_share / Math.max(0.001, baseline.cpu_share)).toFixed(2)),
  false_transitions: counters.falseOffline,
  not_online_at_end: notOnline,
  list_nodes_ms: Math.round(list.ms * 10) / 10,
  feed_frames: counters.frames,
};
if (values.json) console.log(JSON.stringify(result));
else {
  const m = result.orchestrator;
  console.log(`fleet of ${nodes}: orchestrator ${(m.cpu_share * 100).toFixed(1)}% of a core at ${m.heartbeats_per_s} heartbeats/s (bare node:http ${(baseline.cpu_share * 100).toFixed(1)}% at ${baseline.heartbeats_per_s}/s → ${result.cpu_ratio}×)`);
  console.log(`  heartbeat answer p50 ${m.latency_ms.p50} ms p99 ${m.latency_ms.p99} ms (bare p50 ${baseline.latency_ms.p50} p99 ${baseline.latency_ms.p99}); intervals told ${JSON.stringify(m.next_heartbeat_ms)}`);
  console.log(`  false Suspect ${result.false_transitions.Suspect}, false Offline ${result.false_transitions.Offline}, not Online at end ${notOnline}; re-registrations ${m.reregistrations}, failures ${m.failures}`);
  console.log(`  /health p50 ${m.health_ms.p50} ms p99 ${m.health_ms.p99} ms; snapshot ${(m.snapshot.bytes / 1024).toFixed(0)} KiB in p50 ${m.snapshot.ms.p50} ms; GET /v2/nodes ${result.list_nodes_ms} ms; registering took ${registerSeconds} s`);
}
process.exit(0);

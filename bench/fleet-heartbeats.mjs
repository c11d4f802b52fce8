#!/usr/bin/env node
// 1,000 simulated agents heartbeating against one orchestrator (bench/simulated-node.mjs, all in this
// process, loopback), each following the next_heartbeat_ms the orchestrator answers. Baseline in the
// same run: the same fleet against bare node:http (bench/bare-http-server.mjs). Reports the
// orchestrator's CPU share of one core and the baseline's, heartbeat answer latency p50/p99, false
// Suspect/Offline transitions (target 0), /health latency, and the dashboard feed: the snapshot's size
// and time as one frame (protocol 1) and in pages (protocol 2: time to the first page and to the whole),
// what gzip flushed per frame would make of each, and node frames whole (protocol 1) vs as deltas
// (protocol 2) for the same changes, from two streams open side by side.
// --node-keys: every agent authenticates with its own API key (worker scope), as workers joined with
// join tokens do, instead of all sharing the operator's token (the orchestrator then holds 1,000 keys).
// --every <ms>: agents that ignore the server-controlled interval and heartbeat at that pace (a careless third-party agent).
// Every agent sends what worker-agent sends each beat: the pool snapshot and the latest telemetry sample.
//   npm run build && node bench/fleet-heartbeats.mjs [--nodes 1000] [--seconds 20] [--node-keys] [--every 1000] [--cpu-prof <dir>] [--short] [--json]
import { request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { constants as zlibConstants, createGzip } from "node:zlib";
import { benchWorkspace, cpuSeconds, percentiles } from "./bench-processes.mjs";
import { createNodeKeys, startSimulatedFleet } from "./simulated-node.mjs";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "1000" }, seconds: { type: "string", default: "20" }, "cpu-prof": { type: "string" }, env: { type: "string", multiple: true, default: [] }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false }, "node-keys": { type: "boolean", default: false }, every: { type: "string" } } });
// --every <ms>: careless agents that heartbeat at this pace whatever next_heartbeat_ms the orchestrator answers.
const fixedIntervalMs = values.every === undefined ? undefined : Number(values.every);
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

/**
 * Opens /v2/events (protocol 1: one snapshot frame and whole node frames; 2: a paged snapshot and node
 * deltas); resolves when the snapshot is complete, with its size, time (and for protocol 2 the time to
 * its first page) and its raw frames; counts later frames and their bytes by event, keeping node frames' text.
 */
function openEvents(url, counters, protocol = 1) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const path = protocol === 2 ? "/v2/events?protocol=2" : "/v2/events";
    const req = httpRequest(`${url}${path}`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } }, (res) => {
      let buf = "";
      let done = false;
      let firstPageMs = null;
      let bytes = 0;
      const snapshotFrames = [];
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        buf += chunk;
        let end;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, end + 2);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const ms = Math.round((performance.now() - t0) * 10) / 10;
          if (!done && (event === "snapshot" || event?.startsWith("snapshot_"))) {
            bytes += Buffer.byteLength(frame);
            snapshotFrames.push(frame);
            if (event === "snapshot_page" && firstPageMs === null) firstPageMs = ms;
            if (event === "snapshot" || event === "snapshot_end") {
              done = true;
              resolve({ snapshot: { ms, first_page_ms: firstPageMs ?? ms, bytes, frames: snapshotFrames.length }, snapshotFrames, close: () => req.destroy() });
            }
          } else if (event !== undefined && counters !== undefined) {
            counters.frames[event] = (counters.frames[event] ?? 0) + 1;
            counters.bytes[event] = (counters.bytes[event] ?? 0) + Buffer.byteLength(frame);
            if (event === "node" || event === "node_delta") counters.nodeFrames.push(frame);
            if (event === "node_event") {
              const to = /"to":"(\w+)"/.exec(frame)?.[1];
              if (to === "Suspect" || to === "Offline") counters.falseOffline[to]++;
            }
          }
        }
      });
    });
    req.on("error", () => resolve({ snapshot: null, snapshotFrames: [], close: () => undefined }));
    req.end();
  });
}

/** Bytes of `frames` through one gzip stream flushed after every frame (what Content-Encoding: gzip on the SSE response would send). */
async function gzipPerFrame(frames) {
  const gz = createGzip();
  let bytes = 0;
  gz.on("data", (c) => (bytes += c.length));
  const t0 = performance.now();
  for (const f of frames) {
    gz.write(f);
    await new Promise((r) => gz.flush(zlibConstants.Z_SYNC_FLUSH, r));
  }
  const ms = performance.now() - t0;
  gz.end();
  await new Promise((r) => gz.on("end", r));
  return { bytes, ms: Math.round(ms * 10) / 10 };
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
const tokens = values["node-keys"] ? await createNodeKeys(orch.url, token, nodes) : undefined;
const tReg = performance.now();
const fleet = await startSimulatedFleet({ orchUrl: orch.url, token, tokens, count: nodes, fixedIntervalMs });
const registerSeconds = Number(((performance.now() - tReg) / 1000).toFixed(1));
const counters = { frames: {}, bytes: {}, nodeFrames: [], falseOffline: { Suspect: 0, Offline: 0 } };
const events = await openEvents(orch.url, counters);
// The same node changes as protocol 2 deltas, on a second stream open side by side.
const counters2 = { frames: {}, bytes: {}, nodeFrames: [], falseOffline: { Suspect: 0, Offline: 0 } };
const events2 = await openEvents(orch.url, counters2, 2);
await sleep(2000); // warm-up: every agent on its own cadence
const measured = await window(fleet, orch.child.pid, async (until) => {
  const health = [];
  const snapshots = { 1: [], 2: [] };
  const lastFrames = { 1: [], 2: [] };
  let nextSnapshot = performance.now() + 2000;
  while (performance.now() < until) {
    health.push((await get(orch.url, "/health")).ms);
    if (performance.now() >= nextSnapshot) {
      // One snapshot of each protocol back to back, so both see the same load.
      for (const protocol of [1, 2]) {
        const s = await openEvents(orch.url, undefined, protocol);
        s.close();
        if (s.snapshot) {
          snapshots[protocol].push(s.snapshot);
          lastFrames[protocol] = s.snapshotFrames;
        }
      }
      nextSnapshot = performance.now() + 3000;
    }
    await sleep(200);
  }
  const summary = (list) => ({ bytes: list.at(-1)?.bytes ?? 0, frames: list.at(-1)?.frames ?? 0, ms: percentiles(list.map((s) => s.ms)), first_page_ms: percentiles(list.map((s) => s.first_page_ms)), count: list.length });
  return { health_ms: percentiles(health), snapshot: summary(snapshots[1]), paged_snapshot: summary(snapshots[2]), snapshot_gzip: await gzipPerFrame(lastFrames[1]), paged_snapshot_gzip: await gzipPerFrame(lastFrames[2]) };
});
// Pool probes by outcome over the whole run (a simulated status the orchestrator cannot validate
// would fail every probe, and a failing probe costs more than a passing one).
const metricsText = await (await fetch(`${orch.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
const probeCount = (outcome) => [...metricsText.matchAll(new RegExp(`^orchd_pool_health_checks_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`, "gm"))].reduce((sum, m) => sum + Number(m[1]), 0);
const probes = { success: probeCount("success"), error: probeCount("error") };
const list = await get(orch.url, "/v2/nodes");
const nodesJson = await (await fetch(`${orch.url}/v2/nodes`, { headers: { authorization: `Bearer ${token}` } })).json();
const notOnline = nodesJson.nodes.filter((n) => n.status !== "Online").length;
events.close();
events2.close();
await fleet.stop();
const nodeFrameBytes = async (c, name) => ({ frames: c.frames[name] ?? 0, bytes: c.bytes[name] ?? 0, mean_bytes: Math.round((c.bytes[name] ?? 0) / Math.max(1, c.frames[name] ?? 0)), gzip_per_frame: await gzipPerFrame(c.nodeFrames) });
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
  probes,
  node_keys: values["node-keys"],
  not_online_at_end: notOnline,
  list_nodes_ms: Math.round(list.ms * 10) / 10,
  feed_frames: counters.frames,
  node_frames: { whole: await nodeFrameBytes(counters, "node"), delta: await nodeFrameBytes(counters2, "node_delta") },
};
if (values.json) console.log(JSON.stringify(result));
else {
  const m = result.orchestrator;
  console.log(`fleet of ${nodes}: orchestrator ${(m.cpu_share * 100).toFixed(1)}% of a core at ${m.heartbeats_per_s} heartbeats/s (bare node:http ${(baseline.cpu_share * 100).toFixed(1)}% at ${baseline.heartbeats_per_s}/s → ${result.cpu_ratio}×)`);
  console.log(`  heartbeat answer p50 ${m.latency_ms.p50} ms p99 ${m.latency_ms.p99} ms (bare p50 ${baseline.latency_ms.p50} p99 ${baseline.latency_ms.p99}); intervals told ${JSON.stringify(m.next_heartbeat_ms)}`);
  console.log(`  false Suspect ${result.false_transitions.Suspect}, false Offline ${result.false_transitions.Offline}, not Online at end ${notOnline}; re-registrations ${m.reregistrations}, failures ${m.failures}; pool probes ${probes.success} passed, ${probes.error} failed`);
  console.log(`  /health p50 ${m.health_ms.p50} ms p99 ${m.health_ms.p99} ms; GET /v2/nodes ${result.list_nodes_ms} ms; registering took ${registerSeconds} s`);
  const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
  console.log(`  snapshot, protocol 1: ${kib(m.snapshot.bytes)} in one frame, p50 ${m.snapshot.ms.p50} ms p99 ${m.snapshot.ms.p99} ms (n=${m.snapshot.count}); gzip flushed per frame ${kib(m.snapshot_gzip.bytes)} (${m.snapshot_gzip.ms} ms to compress)`);
  console.log(`  snapshot, protocol 2: ${kib(m.paged_snapshot.bytes)} in ${m.paged_snapshot.frames} frames, first page p50 ${m.paged_snapshot.first_page_ms.p50} ms p99 ${m.paged_snapshot.first_page_ms.p99} ms, whole p50 ${m.paged_snapshot.ms.p50} ms p99 ${m.paged_snapshot.ms.p99} ms (n=${m.paged_snapshot.count}); gzip flushed per frame ${kib(m.paged_snapshot_gzip.bytes)}`);
  const nf = result.node_frames;
  console.log(`  node frames: ${nf.whole.frames} whole, ${nf.whole.mean_bytes} B each (gzip per frame ${Math.round(nf.whole.gzip_per_frame.bytes / Math.max(1, nf.whole.frames))} B); ${nf.delta.frames} deltas, ${nf.delta.mean_bytes} B each (gzip per frame ${Math.round(nf.delta.gzip_per_frame.bytes / Math.max(1, nf.delta.frames))} B)`);
}
process.exit(0);

#!/usr/bin/env node
// Two orchestrator builds measured at the same time, each with its own 1,000-agent fleet (bench/simulated-node.mjs)
// in its own process, started a second apart and measured over the same window: on a box shared with other work,
// both see the same load, so the ratio of their CPU per heartbeat is steadier than sequential A/Bs, whose runs drift
// with the load (docs/PERFORMANCE.md, sixth pass). Lighter than fleet-heartbeats.mjs: one /v2/events stream per
// orchestrator, no /health polling or snapshots, no bare baseline.
//   npm run build && node bench/fleet-side-by-side.mjs <cli.js A> <cli.js B> [--pairs 3] [--seconds 30] [--nodes 1000] [--env K=V]… [--json]
// Pairs alternate which build starts first. One side alone: --one <cli.js> (prints one JSON line).
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds, percentiles } from "./bench-processes.mjs";
import { startSimulatedFleet } from "./simulated-node.mjs";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { one: { type: "string" }, pairs: { type: "string", default: "3" }, seconds: { type: "string", default: "30" }, nodes: { type: "string", default: "1000" }, env: { type: "string", multiple: true, default: [] }, json: { type: "boolean", default: false } } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function one(cli) {
  process.env.LLORCH_BENCH_ORCH_CLI = cli;
  const token = "bench-token-0123456789abcdef0123456789abcd";
  const ws = benchWorkspace("llorch-bench-side-");
  const orch = await ws.orchestratorProcess(token, { ORCHD_ADMISSION_CAPACITY: "1000", ...Object.fromEntries(values.env.map((kv) => kv.split("=", 2))) });
  const fleet = await startSimulatedFleet({ orchUrl: orch.url, token, count: Number(values.nodes) });
  const transitions = { Suspect: 0, Offline: 0 };
  const events = httpRequest(`${orch.url}/v2/events`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk) => {
      for (const m of chunk.matchAll(/"to":"(Suspect|Offline)"/g)) transitions[m[1]]++;
    });
  });
  events.on("error", () => undefined);
  events.end();
  await sleep(3000);
  fleet.resetStats();
  const cpu0 = cpuSeconds(orch.child.pid);
  const t0 = performance.now();
  await sleep(Number(values.seconds) * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const share = (cpuSeconds(orch.child.pid) - cpu0) / elapsed;
  const rate = fleet.stats.heartbeats / elapsed;
  const latency = percentiles(fleet.stats.latencies);
  console.log(JSON.stringify({ cli, cpu_share: Number(share.toFixed(3)), heartbeats_per_s: Math.round(rate), us_per_heartbeat: Math.round((share / rate) * 1e6), p50_ms: latency.p50, p99_ms: latency.p99, false_transitions: transitions, failures: fleet.stats.failures }));
  events.destroy();
  await fleet.stop();
  process.exit(0);
}

function side(cli) {
  return new Promise((resolve) => {
    const args = [process.argv[1], "--one", cli, "--seconds", values.seconds, "--nodes", values.nodes, ...values.env.flatMap((kv) => ["--env", kv])];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("exit", () => resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "null")));
  });
}

if (values.one !== undefined) await one(values.one);
else {
  const [a, b] = positionals;
  if (a === undefined || b === undefined) throw new Error("usage: fleet-side-by-side.mjs <cli.js A> <cli.js B>");
  const pairs = [];
  for (let i = 0; i < Number(values.pairs); i++) {
    const load = (await import("node:os")).loadavg()[0];
    const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
    const p1 = side(first);
    await sleep(1000);
    const results = await Promise.all([p1, side(second)]);
    const byCli = Object.fromEntries(results.map((r) => [r.cli, r]));
    const pair = { load_at_start: Number(load.toFixed(2)), a: byCli[a], b: byCli[b], ratio_b_to_a: Number((byCli[b].us_per_heartbeat / byCli[a].us_per_heartbeat).toFixed(2)) };
    pairs.push(pair);
    if (!values.json) console.log(`pair ${i + 1} (load ${pair.load_at_start}): A ${pair.a.cpu_share} core, ${pair.a.us_per_heartbeat} µs/heartbeat; B ${pair.b.cpu_share} core, ${pair.b.us_per_heartbeat} µs/heartbeat; B/A ${pair.ratio_b_to_a}; false transitions A ${JSON.stringify(pair.a.false_transitions)} B ${JSON.stringify(pair.b.false_transitions)}`);
  }
  if (values.json) console.log(JSON.stringify({ bench: "fleet-side-by-side", a, b, pairs }));
}

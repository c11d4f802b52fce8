#!/usr/bin/env node
// Two orchestrator builds measured at the same time, each with its own 1,000-agent fleet (bench/simulated-node.mjs)
// in its own process, started a second apart and measured over the same window: on a box shared with other work,
// both see the same load, so the ratio of their CPU per heartbeat is steadier than sequential A/Bs, whose runs drift
// with the load (docs/PERFORMANCE.md, sixth pass). Lighter than fleet-heartbeats.mjs: one /v2/events stream per
// orchestrator, no /health polling or snapshots, no bare baseline.
//   npm run build && node bench/fleet-side-by-side.mjs <cli.js A> <cli.js B> [--pairs 3] [--seconds 30] [--nodes 1000] [--env K=V]… [--node-keys] [--json]
// Pairs alternate which build starts first. One side alone: --one <cli.js> (prints one JSON line).
// --node-keys: every agent heartbeats with its own worker key, as joined workers do (1,000 keys).
// A breakdown (what one background part of the orchestrator costs): the same build on both sides, one side
// with that part slowed or off — `--env-b K=V` (orchestrator env of side B only; `--env-a` likewise) or
// `--fleet-b watch=off` (B's agents answer /v2/watch with 404, so no node is watched) / `--fleet-b ping=4000`
// (B's agents ping their watches every 4 s instead of the worker's 1 s) / `--fleet-b events=off` (no /v2/events stream open)
// / `--fleet-b telemetry=off` (heartbeats without the host sample the real agent sends; `gpus=<n>` GPUs in it, default 1)
// / `--fleet-b every=1000` (careless agents: a heartbeat every 1 s whatever interval the orchestrator answers); `--fleet` applies to both.
// --cpu-prof-a/-b <dir>: that side's orchestrator runs under --cpu-prof; <dir>/window.json holds the measured window
// (bench/cpu-profile-components.mjs <dir>/CPU…cpuprofile --window <dir>/window.json).
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds, percentiles } from "./bench-processes.mjs";
import { createNodeKeys, startSimulatedFleet } from "./simulated-node.mjs";

const list = { type: "string", multiple: true, default: [] };
const { values, positionals } = parseArgs({ allowPositionals: true, options: { one: { type: "string" }, side: { type: "string", default: "a" }, pairs: { type: "string", default: "3" }, seconds: { type: "string", default: "30" }, nodes: { type: "string", default: "1000" }, env: list, "cpu-prof": { type: "string" }, "cpu-prof-a": { type: "string" }, "cpu-prof-b": { type: "string" }, "env-a": list, "env-b": list, fleet: list, "fleet-a": list, "fleet-b": list, "node-keys": { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const keyValues = (items) => Object.fromEntries(items.flatMap((item) => item.split(",")).map((kv) => kv.split("=", 2)));

/** startSimulatedFleet's options from `watch=off`, `ping=<ms>`, `telemetry=off`, `gpus=<n>`, `every=<ms>` (ignore the server's interval). */
function fleetOptions(items) {
  const o = keyValues(items);
  for (const k of Object.keys(o)) if (!["watch", "ping", "events", "telemetry", "gpus", "every"].includes(k)) throw new Error(`unknown fleet option ${k} (watch=off, ping=<ms>, events=off, telemetry=off, gpus=<n>, every=<ms>)`);
  return {
    watch: o.watch !== "off",
    telemetry: o.telemetry !== "off",
    ...(o.ping === undefined ? {} : { watchPingMs: Number(o.ping) }),
    ...(o.gpus === undefined ? {} : { gpus: Number(o.gpus) }),
    ...(o.every === undefined ? {} : { fixedIntervalMs: Number(o.every) }),
  };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function one(cli) {
  process.env.LLORCH_BENCH_ORCH_CLI = cli;
  const token = "bench-token-0123456789abcdef0123456789abcd";
  const ws = benchWorkspace("llorch-bench-side-");
  const profDir = values["cpu-prof"];
  const orch = await ws.orchestratorProcess(token, { ORCHD_ADMISSION_CAPACITY: "1000", ...keyValues(values.env) }, profDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profDir]);
  const tokens = values["node-keys"] ? await createNodeKeys(orch.url, token, Number(values.nodes)) : undefined;
  const fleet = await startSimulatedFleet({ orchUrl: orch.url, token, tokens, count: Number(values.nodes), ...fleetOptions(values.fleet) });
  const withEvents = keyValues(values.fleet).events !== "off"; // events=off: no dashboard stream open
  const transitions = { Suspect: 0, Offline: 0 };
  const events = httpRequest(`${orch.url}/v2/events`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk) => {
      for (const m of chunk.matchAll(/"to":"(Suspect|Offline)"/g)) transitions[m[1]]++;
    });
  });
  events.on("error", () => undefined);
  if (withEvents) events.end();
  else events.destroy();
  await sleep(3000);
  fleet.resetStats();
  const cpu0 = cpuSeconds(orch.child.pid);
  const t0 = performance.now();
  const fromUs = Number(process.hrtime.bigint() / 1000n); // CLOCK_MONOTONIC, the clock of V8's profile timestamps
  await sleep(Number(values.seconds) * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const share = (cpuSeconds(orch.child.pid) - cpu0) / elapsed;
  const rate = fleet.stats.heartbeats / elapsed;
  const latency = percentiles(fleet.stats.latencies);
  console.log(JSON.stringify({ side: values.side, cli, env: values.env, fleet: values.fleet, cpu_share: Number(share.toFixed(3)), heartbeats_per_s: Math.round(rate), us_per_heartbeat: Math.round((share / rate) * 1e6), p50_ms: latency.p50, p99_ms: latency.p99, false_transitions: transitions, failures: fleet.stats.failures, statuses: Object.fromEntries(fleet.stats.statuses), reregistrations: fleet.stats.reregistrations }));
  events.destroy();
  await fleet.stop();
  if (profDir !== undefined) {
    // The measured window, for `cpu-profile-components.mjs --window`; a clean exit writes the profile.
    writeFileSync(join(profDir, "window.json"), JSON.stringify({ from_us: fromUs, to_us: toUs }));
    orch.child.kill("SIGTERM");
    await new Promise((r) => orch.child.once("exit", r));
  }
  process.exit(0);
}

function side(label, cli) {
  return new Promise((resolve) => {
    const env = [...values.env, ...values[`env-${label}`]];
    const fleet = [...values.fleet, ...values[`fleet-${label}`]];
    const prof = values[`cpu-prof-${label}`];
    if (prof !== undefined) mkdirSync(prof, { recursive: true });
    const args = [process.argv[1], "--one", cli, "--side", label, "--seconds", values.seconds, "--nodes", values.nodes, ...(values["node-keys"] ? ["--node-keys"] : []), ...(prof === undefined ? [] : ["--cpu-prof", prof]), ...env.flatMap((kv) => ["--env", kv]), ...fleet.flatMap((o) => ["--fleet", o])];
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
    const [first, second] = i % 2 === 0 ? [["a", a], ["b", b]] : [["b", b], ["a", a]];
    const p1 = side(...first);
    await sleep(1000);
    const results = await Promise.all([p1, side(...second)]);
    const bySide = Object.fromEntries(results.map((r) => [r.side, r]));
    const pair = { load_at_start: Number(load.toFixed(2)), a: bySide.a, b: bySide.b, ratio_b_to_a: Number((bySide.b.us_per_heartbeat / bySide.a.us_per_heartbeat).toFixed(2)), core_b_minus_a: Number((bySide.b.cpu_share - bySide.a.cpu_share).toFixed(3)) };
    pairs.push(pair);
    if (!values.json) console.log(`pair ${i + 1} (load ${pair.load_at_start}): A ${pair.a.cpu_share} core, ${pair.a.us_per_heartbeat} µs/heartbeat; B ${pair.b.cpu_share} core, ${pair.b.us_per_heartbeat} µs/heartbeat; B/A ${pair.ratio_b_to_a}, B−A ${pair.core_b_minus_a} core; false transitions A ${JSON.stringify(pair.a.false_transitions)} B ${JSON.stringify(pair.b.false_transitions)}`);
  }
  if (values.json) console.log(JSON.stringify({ bench: "fleet-side-by-side", a, b, env_a: values["env-a"], env_b: values["env-b"], fleet_a: values["fleet-a"], fleet_b: values["fleet-b"], node_keys: values["node-keys"], pairs }));
}

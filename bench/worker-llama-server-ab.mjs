#!/usr/bin/env node
// The worker's llama-server engine path alone (no orchestrator): a worker agent whose pool runs
// `engine: llama-server` on the generated tiny model (2 slots, 1 thread, context 512: the peers
// benchmark's backends), next to the same llama-server straight (the floor). Per round, in an order
// that flips every round: N sequential 4-token tasks on the worker's /v2 task stream (and N
// /completion requests straight to a standalone llama-server), then C closed-loop clients for S seconds
// (req/s, and the worker process's CPU per request from /proc; llama-server's own CPU is not counted).
// With two --worker-cli builds it is an A/B of two commits' dist in the same rounds (only paired
// numbers mean anything on a shared box).
//   npm run build && node bench/worker-llama-server-ab.mjs [--worker-cli /work/main/dist/worker-agent/cli.js,dist/worker-agent/cli.js]
//     [--requests 100] [--rounds 4] [--clients 4] [--seconds 3] [--cpu-prof <dir>] [--json]
// --cpu-prof <dir>: V8 CPU profiles of each worker agent (<dir>/worker-<i>/), read with bench/cpu-profile-top.mjs.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { llamaServerArgs } from "../dist/worker-agent/engine/llama-server/llama-server-args.js";
import { benchWorkspace, cpuSeconds, percentiles } from "./bench-processes.mjs";
import { ciLlamaServerBinary } from "./llama-server-cache.mjs";

const { values } = parseArgs({
  options: {
    "worker-cli": { type: "string", default: "dist/worker-agent/cli.js" },
    requests: { type: "string", default: "100" },
    rounds: { type: "string", default: "4" },
    clients: { type: "string", default: "4" },
    seconds: { type: "string", default: "3" },
    "cpu-prof": { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const clis = values["worker-cli"].split(",").map((p) => resolve(p));
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const SLOTS = 2;
const CTX = 512;
const token = "bench-token-0123456789abcdef0123456789abcd";
const say = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const r2 = (x) => Math.round(x * 100) / 100;
const median = (xs) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);

const binary = await ciLlamaServerBinary();
if (!existsSync(binary)) {
  say(`worker-llama-server-ab: skipped (no llama-server at ${binary})`);
  process.exit(0);
}
const watchdog = setTimeout(() => {
  say("worker-llama-server-ab: gave up (time limit)");
  process.exit(3);
}, 900_000);

const ws = benchWorkspace("llorch-bench-wls-");
const modelPath = await ws.model("bench-tiny", "tiny");

async function startLlamaServer() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = ws.track(spawn(binary, llamaServerArgs({ type: "load", model_path: modelPath, slots: SLOTS, threads: 1, device: "cpu" }, CTX, port), { stdio: "ignore" }));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return { url, pid: child.pid };
    await sleep(100);
  }
  throw new Error("llama-server not healthy");
}

async function startWorker(cli, index) {
  const nodeArgs = values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", join(resolve(values["cpu-prof"]), `worker-${index}`)] : [];
  const config = { models_dir: join(modelPath, ".."), threads: 1, llama_server_path: binary, pools: [{ id: "p", model: "bench-tiny.gguf", device: "cpu", slots: SLOTS, context_size: CTX, engine: "llama-server" }] };
  const { child, url, headers } = await ws.configuredWorker(`w${index}`, config, { cli, token, nodeArgs });
  return { child, url, headers };
}

let taskN = 0;
/** One request of the system; true when it ended well. */
async function once(sys, maxTokens) {
  sys.tasks = (sys.tasks ?? 0) + 1;
  if (sys.direct) {
    const res = await fetch(`${sys.url}/completion`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: "Hello", n_predict: maxTokens, temperature: 0, cache_prompt: true }) });
    const body = await res.json();
    return res.status === 200 && typeof body.content === "string";
  }
  const res = await fetch(`${sys.url}/v2/pools/p/infer`, { method: "POST", headers: sys.headers, body: JSON.stringify({ task_id: `ab-${taskN++}`, prompt: "Hello", max_tokens: maxTokens, temperature: 0 }) });
  const text = await res.text();
  const ok = res.status === 200 && text.includes("event: end") && !text.includes("event: error");
  if (!ok && sys.firstError === undefined) sys.firstError = `HTTP ${res.status} ${text.slice(0, 700)}`;
  return ok;
}

const ls = await startLlamaServer();
const systems = [{ name: "llama-server direct", direct: true, url: ls.url, pid: undefined }];
for (const [i, cli] of clis.entries()) {
  const w = await startWorker(cli, i);
  systems.push({ name: clis.length === 1 ? "worker" : `worker #${i + 1} (${cli.replace(/\/worker-agent\/cli\.js$/, "")})`, url: w.url, headers: w.headers, pid: w.child.pid, child: w.child });
}
for (const sys of systems) for (let i = 0; i < 20; i++) await once(sys, 4); // warm-up
const samples = new Map(systems.map((s) => [s.name, { latency: [], p50s: [], reqPerS: [], cpuMs: [], errors: 0 }]));

for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? systems : [...systems].reverse();
  for (const sys of order) {
    const s = samples.get(sys.name);
    const lat = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      const ok = await once(sys, 4);
      if (ok) lat.push(performance.now() - t0);
      else s.errors++;
    }
    s.latency.push(...lat);
    s.p50s.push(percentiles(lat).p50);
  }
  for (const sys of order) {
    const s = samples.get(sys.name);
    const cpu0 = sys.pid !== undefined ? cpuSeconds(sys.pid) : 0;
    const end = performance.now() + SECONDS * 1000;
    let ok = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        if (await once(sys, 16)) ok++;
        else s.errors++;
      }
    }));
    const t1 = performance.now();
    s.reqPerS.push(ok / ((t1 - t0) / 1000));
    if (sys.pid !== undefined) s.cpuMs.push(((cpuSeconds(sys.pid) - cpu0) * 1000) / Math.max(1, ok));
  }
  say(`  round ${round + 1}/${ROUNDS}: ${systems.map((sys) => `${sys.name} p50 ${r2(samples.get(sys.name).p50s.at(-1))} ms ${Math.round(samples.get(sys.name).reqPerS.at(-1))}/s`).join(", ")}`);
}

const result = systems.map((sys) => {
  const s = samples.get(sys.name);
  return { name: sys.name, latency_ms: percentiles(s.latency), round_p50s: s.p50s.map(r2), req_per_s: r2(median(s.reqPerS)), worker_cpu_ms_per_request: sys.pid !== undefined ? r2(median(s.cpuMs)) : null, errors: s.errors, requests_in_all: sys.tasks };
});
const direct = result[0];
if (values.json) console.log(JSON.stringify({ bench: "worker-llama-server-ab", load_average: (await import("node:os")).loadavg()[0], result }));
else {
  console.log(`worker-llama-server-ab: ${ROUNDS} rounds; ${REQUESTS}× sequential 4-token tasks; ${CLIENTS} clients × ${SECONDS} s, 16 tokens`);
  console.log("| system | p50 / p99 ms | added p50 ms | req/s | worker CPU ms/req | errors | requests in all |");
  console.log("|---|---|---|---|---|---|---|");
  for (const sys of systems) if (sys.firstError !== undefined) console.log(`${sys.name}: first error: ${sys.firstError}`);
  for (const r of result) console.log(`| ${r.name} | ${r.latency_ms.p50} / ${r.latency_ms.p99} | ${r === direct ? "—" : `+${r2(r.latency_ms.p50 - direct.latency_ms.p50)}`} | ${r.req_per_s} | ${r.worker_cpu_ms_per_request ?? "—"} | ${r.errors} | ${r.requests_in_all} |`);
  if (result.length === 3) {
    const [, a, b] = samples.values();
    const ratios = a.p50s.map((x, i) => r2(b.p50s[i] / x));
    const rps = a.reqPerS.map((x, i) => r2(b.reqPerS[i] / x));
    const cpu = a.cpuMs.map((x, i) => r2(b.cpuMs[i] / x));
    console.log(`paired per round (#2 / #1): p50 ${ratios.join(", ")}; req/s ${rps.join(", ")}; worker CPU/req ${cpu.join(", ")}`);
  }
}
clearTimeout(watchdog);
// SIGTERM the workers so a --cpu-prof run writes its profiles, then leave (the workspace kills the rest).
for (const sys of systems) sys.child?.kill("SIGTERM");
await Promise.all(systems.filter((s) => s.child).map((s) => new Promise((r) => (s.child.exitCode !== null ? r() : s.child.once("exit", r)))));
process.exit(0);

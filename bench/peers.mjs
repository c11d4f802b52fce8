#!/usr/bin/env node
// Peers side by side in one run: llama.cpp's llama-server (built from the source inside the
// node-llama-cpp package, `llama-orch-worker engine build`, cached outside the repository) on the same
// generated model, two backends, behind
//   direct     — no proxy: each request straight to one of the two llama-servers, alternating (baseline);
//   llama-orch — the orchestrator + two worker agents whose pools run `engine: llama-server` (each worker
//                starts, supervises and restarts its own llama-server: the way a user deploys it; the
//                worker has no mode that fronts a llama-server it did not start);
//   Portkey    — @portkey-ai/gateway from npm (installed outside the repository), `loadbalance` mode
//                over the two llama-servers as OpenAI-compatible custom hosts;
//   HAProxy    — the Debian package, `balance leastconn`, health checks, one retry on a refused/empty
//                connection (an operator's usual front for several backends).
// Measured in interleaved rounds: added latency (sequential short non-streaming /v1/completions),
// throughput (C closed-loop clients), streaming tokens/s (C concurrent streams); then, for each router,
// one backend llama-server is SIGKILLed under load: requests lost, time until requests succeed again,
// and whether the killed backend's in-flight requests were rescued (retried / re-placed).
//   npm run build && node bench/peers.mjs [--requests 60] [--rounds 3] [--clients 4] [--seconds 3]
//       [--tokens 256] [--kill-seconds 6] [--model tiny|medium] [--rescue-attempts N] [--short] [--json]
// LLORCH_BENCH_ORCH_CLI / LLORCH_BENCH_WORKER_CLI: the orchestrator / worker agent of another build.
// Portkey: npm install --prefix ~/.cache/llama-orch-ci/portkey-gateway @portkey-ai/gateway@1.15.2
// (or LLORCH_PORTKEY_DIR=<prefix>); it runs with bench/portkey-fetch-shim.mjs preloaded (its
// streaming bug on Node, loopback bind). A missing peer is skipped with the reason; without a built
// llama-server the whole benchmark is skipped (exit 0).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { readSseFrames } from "../dist/src-shared/streaming/read-sse.js";
import { llamaServerArgs } from "../dist/worker-agent/engine/llama-server/llama-server-args.js";
import { benchWorkspace, cpuSeconds, freePort, percentiles, waitForReadyNodes } from "./bench-processes.mjs";
import { ciLlamaServerBinary } from "./llama-server-cache.mjs";
import { killOutcome, portkeyLoadBalanceConfig, rescuedInFlight } from "./peers-outcome.mjs";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "60" },
    rounds: { type: "string", default: "3" },
    clients: { type: "string", default: "4" },
    seconds: { type: "string", default: "3" },
    tokens: { type: "string", default: "256" },
    model: { type: "string", default: "tiny" },
    "kill-seconds": { type: "string", default: "6" },
    // The orchestrator's rescue_attempts (unset: its default); 0 = no rescue, for a before/after comparison.
    "rescue-attempts": { type: "string" },
    short: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const short = values.short;
const REQUESTS = short ? 6 : Number(values.requests);
const ROUNDS = short ? 1 : Number(values.rounds);
const CLIENTS = short ? 2 : Number(values.clients);
const SECONDS = short ? 1 : Number(values.seconds);
const STREAM_TOKENS = short ? 16 : Number(values.tokens);
const KILL_SECONDS = short ? 3 : Number(values["kill-seconds"]);
const KILL_AT_MS = 1000;
const STREAM_REPEATS = short ? 1 : 5;
const KILL_TOKENS = short ? 32 : 128;
const SIZE = values.model;
if (!["tiny", "medium"].includes(SIZE)) throw new Error(`--model: tiny or medium, not ${SIZE}`);
const SLOTS = 2;
const CTX = 512;
const MAX_REQUESTS_PER_WINDOW = 5000;
const REQUEST_TIMEOUT_MS = 30_000;
const MODEL = "bench-tiny";
const token = "bench-token-0123456789abcdef0123456789abcd";
const say = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const r2 = (x) => Math.round(x * 100) / 100;

const binary = await ciLlamaServerBinary();
if (!existsSync(binary)) {
  const reason = `no llama-server at ${binary}: build it with \`node dist/worker-agent/cli.js engine build --out ${join(binary, "..")}\` or set LLORCH_LLAMA_SERVER`;
  say(`peers: skipped (${reason})`);
  console.log(JSON.stringify({ bench: "peers", skipped: reason }));
  process.exit(0);
}

// Whole run bounded: past this the benchmark gives up (the exit handlers stop every process it started).
const watchdog = setTimeout(() => {
  say("peers: gave up (time limit)");
  process.exit(3);
}, short ? 150_000 : 900_000);

const ws = benchWorkspace("llorch-bench-peers-");

async function waitHealthy(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${url} not healthy after ${ms} ms`);
}

/** A standalone llama-server on `port`, started exactly as the worker's llama-server engine starts it. */
async function startLlamaServer(modelPath, port) {
  const child = spawn(binary, llamaServerArgs({ type: "load", model_path: modelPath, slots: SLOTS, threads: 1, device: "cpu" }, CTX, port), { stdio: "ignore" });
  ws.track(child);
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, 60_000);
  return { url, pid: child.pid };
}

/** A worker agent with one `engine: llama-server` pool, registering to the orchestrator. */
async function startWorker(nodeId, orchUrl, modelsDir) {
  const dir = join(ws.root, nodeId);
  mkdirSync(dir, { recursive: true });
  const config = {
    node_id: nodeId,
    orchestrator_url: orchUrl,
    bind_addr: "127.0.0.1:0",
    models_dir: modelsDir,
    data_dir: join(dir, "data"),
    runtime_dir: join(dir, "engines"),
    log_level: "info",
    threads: 1,
    llama_server_path: binary,
    pools: [{ id: `${nodeId}-pool`, model: `${MODEL}.gguf`, device: "cpu", slots: SLOTS, context_size: CTX, engine: "llama-server" }],
  };
  writeFileSync(join(dir, "worker.json"), JSON.stringify(config));
  // LLORCH_BENCH_WORKER_CLI: another build of the worker agent (an A/B against an older commit's dist).
  const { child, value } = await ws.start([process.env.LLORCH_BENCH_WORKER_CLI ?? "dist/worker-agent/cli.js", "start", "--config", join(dir, "worker.json"), "--log-format", "json"], { LLORCH_API_TOKEN: token, LLORCH_LOG_LEVEL: "info" }, (b) => /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(b)?.[1]);
  let tail = "";
  const keep = (c) => (tail = (tail + c).slice(-4000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return { child, url: value, pool: `${nodeId}-pool`, tail: () => tail };
}

/** The worker pool's llama-server: its pid (pool diagnostics) and URL (its --port). */
async function workerBackend(worker) {
  const diag = await (await fetch(`${worker.url}/v2/pools/${worker.pool}/diagnostics`, { headers: { authorization: `Bearer ${token}` } })).json();
  if (typeof diag.engine_pid !== "number") return null;
  const args = readFileSync(`/proc/${diag.engine_pid}/cmdline`, "utf8").split("\0");
  return { pid: diag.engine_pid, url: `http://127.0.0.1:${args[args.indexOf("--port") + 1]}`, state: diag.state, restarts: diag.restarts };
}

/** Portkey's gateway from its npm package outside the repository, or the reason it cannot run. */
async function startPortkey() {
  const prefix = process.env.LLORCH_PORTKEY_DIR ?? join(homedir(), ".cache", "llama-orch-ci", "portkey-gateway");
  const script = join(prefix, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");
  if (!existsSync(script)) return { skipped: `Portkey gateway not installed (npm install --prefix ${prefix} @portkey-ai/gateway@1.15.2)` };
  const port = await freePort();
  let child;
  try {
    // `--port=N` (with "="; `--port N` is ignored), `--headless`: no UI / log streaming. The shim
    // works around Portkey's streaming bug on Node and binds it to loopback (see the file).
    ({ child } = await ws.start(["--import", join(import.meta.dirname, "portkey-fetch-shim.mjs"), script, `--port=${port}`, "--headless"], { NODE_ENV: "production" }, (b) => /Ready for connections|running at/i.test(b)));
  } catch (error) {
    return { skipped: `Portkey gateway did not start: ${String(error).slice(0, 200)}` };
  }
  return { url: `http://127.0.0.1:${port}`, pid: child.pid };
}

// ---- clients ----

/** One short non-streaming completion; { ok, kind, t0, t1, tokens }. */
async function complete(sys, maxTokens) {
  const t0 = performance.now();
  try {
    const res = await fetch(`${sys.next()}/v1/completions`, { method: "POST", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: sys.headers, body: JSON.stringify({ model: MODEL, prompt: "Hello", max_tokens: maxTokens, temperature: 0 }) });
    const text = await res.text();
    const t1 = performance.now();
    if (res.status !== 200) return { ok: false, kind: `http ${res.status}${/"code":"(\w+)"/.exec(text)?.[1] ? ` ${/"code":"(\w+)"/.exec(text)[1]}` : ""}`, t0, t1 };
    const body = JSON.parse(text);
    if (!Array.isArray(body.choices) || body.choices.length === 0) return { ok: false, kind: "no choices", t0, t1 };
    return { ok: true, kind: "ok", t0, t1, tokens: body.usage?.completion_tokens ?? 0 };
  } catch (error) {
    return { ok: false, kind: `client: ${error instanceof Error ? error.message.slice(0, 60) : String(error)}`, t0, t1: performance.now() };
  }
}

/**
 * The same short generation straight from worker peer-a's own API (its task stream, no orchestrator):
 * splits llama-orch's added latency into the worker's hop (to its llama-server) and the orchestrator's.
 */
let workerTask = 0;
async function completeOnWorker(worker, maxTokens) {
  const t0 = performance.now();
  const res = await fetch(`${worker.url}/v2/pools/${worker.pool}/infer`, { method: "POST", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ task_id: `peers-${workerTask++}`, prompt: "Hello", max_tokens: maxTokens, temperature: 0 }) });
  const text = await res.text();
  return { ok: res.status === 200 && text.includes("event: end") && !text.includes("event: error"), t0, t1: performance.now() };
}

/** One streamed completion: text chunks received, first/last chunk times, whether it ended with [DONE]. */
async function stream(sys, maxTokens) {
  const t0 = performance.now();
  let tokens = 0;
  let first = 0;
  let last = 0;
  let done = false;
  let failed = null;
  try {
    const res = await fetch(`${sys.next()}/v1/completions`, { method: "POST", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: sys.headers, body: JSON.stringify({ model: MODEL, prompt: "Hello", max_tokens: maxTokens, temperature: 0, stream: true }) });
    if (res.status !== 200) failed = `http ${res.status}`;
    else {
      for await (const frame of readSseFrames(res.body)) {
        if (frame.data === "[DONE]") {
          done = true;
          break;
        }
        const chunk = JSON.parse(frame.data);
        if (chunk.error) failed = chunk.error.code ?? "error";
        else if (chunk.choices?.[0]?.text) {
          tokens++;
          last = performance.now();
          if (first === 0) first = last;
        }
      }
    }
  } catch (error) {
    failed = `client: ${error instanceof Error ? error.message.slice(0, 60) : String(error)}`;
  }
  return { ok: failed === null && done, kind: failed ?? (done ? "ok" : "no [DONE]"), t0, first, last, tokens };
}

/** C clients looping until `ms` has passed (or the request cap); every outcome in start order. */
async function closedLoop(sys, ms, maxTokens, onStart) {
  const results = [];
  const start = performance.now();
  const end = start + ms;
  onStart?.(start);
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end && results.length < MAX_REQUESTS_PER_WINDOW) results.push(await complete(sys, maxTokens));
    }),
  );
  return { results, start, end: Math.max(end, performance.now()) };
}

// ---- set-up ----

say("peers: model, llama-servers, orchestrator, workers, gateways");
const modelPath = await ws.model(MODEL, SIZE, CTX);
const modelsDir = dirname(modelPath);
const ports = [await freePort(), await freePort()];
const backends = [await startLlamaServer(modelPath, ports[0]), await startLlamaServer(modelPath, ports[1])];
const RESCUE_ATTEMPTS = values["rescue-attempts"];
const orch = await ws.orchestratorProcess(token, RESCUE_ATTEMPTS === undefined ? {} : { ORCHD_RESCUE_ATTEMPTS: RESCUE_ATTEMPTS });
const orchUrl = orch.url;
const workers = [await startWorker("peer-a", orchUrl, modelsDir), await startWorker("peer-b", orchUrl, modelsDir)];
await waitForReadyNodes(orchUrl, token, 2).catch(async (error) => {
  const nodes = await (await fetch(`${orchUrl}/v2/nodes`, { headers: { authorization: `Bearer ${token}` } })).json();
  throw new Error(`${error.message}: ${JSON.stringify(nodes).slice(0, 300)}\n${workers.map((w) => w.tail()).join("\n---\n")}`);
});
const portkey = await startPortkey();
const haproxy = await ws.haproxy(backends.map((b) => b.url), { failover: true });
const skipped = {};
if (portkey.skipped) skipped.portkey = portkey.skipped;
if (haproxy.skipped) skipped.haproxy = haproxy.skipped;

const json = { "content-type": "application/json" };
let alternate = 0;
const systems = [
  { name: "direct", next: () => backends[alternate++ % 2].url, headers: json, pids: [] },
  // The router's processes, for CPU per request: llama-orch's path is the orchestrator and both workers.
  { name: "llama-orch", next: () => orchUrl, headers: { ...json, authorization: `Bearer ${token}` }, pids: [orch.child.pid, ...workers.map((w) => w.child.pid)] },
  ...(portkey.url ? [{ name: "portkey", pids: [portkey.pid], next: () => portkey.url, headers: { ...json, authorization: "Bearer unused", "x-portkey-config": JSON.stringify(portkeyLoadBalanceConfig(backends.map((b) => b.url))) } }] : []),
  ...(haproxy.url ? [{ name: "haproxy", next: () => haproxy.url, headers: json, pids: [haproxy.child.pid] }] : []),
];
for (const sys of systems) {
  for (let i = 0; i < 3; i++) {
    const r = await complete(sys, 4);
    if (!r.ok) throw new Error(`${sys.name}: warm-up request failed (${r.kind})`);
  }
}

// ---- interleaved rounds: latency, throughput, streaming ----

const samples = new Map(systems.map((s) => [s.name, { latency: [], reqPerS: [], streamTps: [], errors: 0, tokens: [], cpuMsPerRequest: [] }]));
const workerAlone = { latency: [], errors: 0 };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? systems : [...systems].reverse();
  // Latency: one request per system in turn, so every system sees the same moments of machine noise.
  for (let i = 0; i < REQUESTS; i++) {
    for (const sys of order) {
      const r = await complete(sys, 4);
      const s = samples.get(sys.name);
      if (r.ok) {
        s.latency.push(r.t1 - r.t0);
        s.tokens.push(r.tokens);
      } else s.errors++;
    }
    const w = await completeOnWorker(workers[0], 4);
    if (w.ok) workerAlone.latency.push(w.t1 - w.t0);
    else workerAlone.errors++;
  }
  for (const sys of order) {
    const cpu0 = sys.pids.map((pid) => cpuSeconds(pid));
    const { results, start, end } = await closedLoop(sys, SECONDS * 1000, 16);
    const cpu1 = sys.pids.map((pid) => cpuSeconds(pid));
    const s = samples.get(sys.name);
    const okCount = results.filter((r) => r.ok).length;
    s.reqPerS.push(okCount / ((end - start) / 1000));
    // Per process (llama-orch: orchestrator, then each worker), ms of CPU per successful request.
    s.cpuMsPerRequest.push(cpu1.map((c, i) => ((c - cpu0[i]) * 1000) / Math.max(1, okCount)));
    s.errors += results.filter((r) => !r.ok).length;
  }
  // Streaming: one batch of C concurrent streams per system in turn, repeated (a batch on the tiny model
  // lasts tens of ms, so one preemption would decide a single sample).
  for (let rep = 0; rep < STREAM_REPEATS; rep++) {
    for (const sys of order) {
      const runs = await Promise.all(Array.from({ length: CLIENTS }, () => stream(sys, STREAM_TOKENS)));
      const s = samples.get(sys.name);
      const t0 = Math.min(...runs.map((r) => r.t0));
      const t1 = Math.max(...runs.map((r) => r.last));
      s.streamTps.push(runs.reduce((a, r) => a + r.tokens, 0) / ((t1 - t0) / 1000));
      s.errors += runs.filter((r) => !r.ok).length;
    }
  }
  say(`  round ${round + 1}/${ROUNDS}: ${systems.map((sys) => `${sys.name} p50 ${percentiles(samples.get(sys.name).latency).p50} ms`).join(", ")}`);
}

const median = (xs) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const measured = {};
for (const sys of systems) {
  const s = samples.get(sys.name);
  measured[sys.name] = { latency_ms: percentiles(s.latency), completion_tokens: median(s.tokens), req_per_s: r2(median(s.reqPerS)), router_cpu_ms_per_request: r2(median(s.cpuMsPerRequest.map((per) => per.reduce((a, b) => a + b, 0)))), router_cpu_ms_per_process: sys.pids.map((_, i) => r2(median(s.cpuMsPerRequest.map((per) => per[i])))), stream_tokens_per_s: Math.round(median(s.streamTps)), errors: s.errors };
}
const direct = measured.direct;
for (const sys of systems.slice(1)) {
  const m = measured[sys.name];
  m.added_ms_p50 = r2(m.latency_ms.p50 - direct.latency_ms.p50);
  m.added_ms_p99 = r2(m.latency_ms.p99 - direct.latency_ms.p99);
  m.latency_ratio_p50 = r2(m.latency_ms.p50 / direct.latency_ms.p50);
  m.req_per_s_ratio = r2(m.req_per_s / direct.req_per_s);
  m.stream_ratio = r2(m.stream_tokens_per_s / direct.stream_tokens_per_s);
}

measured["llama-orch"].worker_alone_ms = percentiles(workerAlone.latency);
measured["llama-orch"].worker_alone_errors = workerAlone.errors;

// ---- one backend SIGKILLed under load, per router ----

/** Busy slots of a llama-server (GET /slots), or null when it does not answer. */
async function busySlots(url) {
  try {
    const slots = await (await fetch(`${url}/slots`, { signal: AbortSignal.timeout(2000) })).json();
    return Array.isArray(slots) ? slots.filter((s) => s.is_processing).length : null;
  } catch {
    return null;
  }
}

const kills = {};
for (const sys of systems.slice(1)) {
  // llama-orch: the llama-server under worker peer-b (the worker restarts it); the others: standalone #2.
  const victim = sys.name === "llama-orch" ? await workerBackend(workers[1]) : backends[1];
  let killAt = 0;
  let busy = null;
  const { results, start, end } = await closedLoop(sys, KILL_SECONDS * 1000, KILL_TOKENS, (start) => {
    setTimeout(async () => {
      // Kill while the victim is generating (its /slots polled for up to 0.5 s), so in-flight work dies.
      const pollUntil = performance.now() + 500;
      do busy = await busySlots(victim.url);
      while (busy === 0 && performance.now() < pollUntil);
      killAt = performance.now();
      process.kill(victim.pid, "SIGKILL");
    }, KILL_AT_MS - (performance.now() - start));
  });
  const outcome = killOutcome(results, killAt, end);
  const before = results.filter((r) => r.ok && r.t1 < killAt).length / ((killAt - start) / 1000);
  const after = results.filter((r) => r.ok && r.t1 >= killAt).length / ((end - killAt) / 1000);
  kills[sys.name] = { ...outcome, busy_on_killed: busy, in_flight_rescued: busy === null ? null : rescuedInFlight(busy, outcome.in_flight_failed), req_per_s_before: r2(before), req_per_s_after: r2(after) };
  say(`  kill under ${sys.name}: ${JSON.stringify(kills[sys.name])}`);
  // Bring the killed backend back for the next router: the worker restarts its own; ours by hand.
  if (sys.name === "llama-orch") {
    const deadline = Date.now() + 30_000;
    let back = null;
    while (Date.now() < deadline) {
      back = await workerBackend(workers[1]).catch(() => null);
      if (back && back.pid !== victim.pid && (await fetch(`${back.url}/health`).then((r) => r.ok, () => false))) break;
      back = null;
      await sleep(100);
    }
    kills[sys.name].backend_restarted_by_worker_ms = back === null ? null : Math.round(performance.now() - killAt);
  } else {
    backends[1] = await startLlamaServer(modelPath, ports[1]);
    await sleep(2000); // HAProxy marks it up after two 500 ms checks
  }
}

const result = { bench: "peers", short, model: SIZE, kill_tokens: KILL_TOKENS, rounds: ROUNDS, requests: REQUESTS, clients: CLIENTS, seconds: SECONDS, stream_tokens: STREAM_TOKENS, kill_seconds: KILL_SECONDS, rescue_attempts: RESCUE_ATTEMPTS ?? "default", slots: SLOTS, llama_server: binary, peers_skipped: skipped, measured, kills };
const signed = (x) => (x < 0 ? `−${Math.abs(x)}` : `+${x}`);
const names = { direct: "direct (no proxy)", "llama-orch": "llama-orch", portkey: "Portkey 1.15.2 loadbalance", haproxy: "HAProxy leastconn" };
const lines = [
  `peers: 2 llama-servers (${SIZE} model, ${SLOTS} slots, 1 thread each); ${ROUNDS} interleaved rounds; latency = ${REQUESTS}×/round sequential 4-token /v1/completions; throughput = ${CLIENTS} clients × ${SECONDS} s, 16 tokens; streaming = ${CLIENTS} streams × ${STREAM_TOKENS} tokens, ${STREAM_REPEATS} batches/round (median); kill = ${CLIENTS} clients, ${KILL_TOKENS} tokens, backend #2 SIGKILLed ≈1 s into ${KILL_SECONDS} s while generating`,
  "",
  "| router | latency p50 / p99 ms | added p50 / p99 ms | req/s | ×direct | router CPU ms/req | stream tok/s | ×direct | killed backend: lost / in flight (rescued) | recovered after | longest gap ms |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
];
for (const sys of systems) {
  const m = measured[sys.name];
  const k = kills[sys.name];
  const killCells = k === undefined ? "— | — | —" : `${k.lost} / ${k.busy_on_killed ?? "?"} (${k.in_flight_rescued ?? "?"}) | ${k.recovered_ms === null ? `not within ${KILL_SECONDS - KILL_AT_MS / 1000} s` : `${k.recovered_ms} ms`} | ${k.longest_gap_ms}`;
  lines.push(`| ${names[sys.name]} | ${m.latency_ms.p50} / ${m.latency_ms.p99} | ${sys.name === "direct" ? "—" : `${signed(m.added_ms_p50)} / ${signed(m.added_ms_p99)}`} | ${m.req_per_s} | ${sys.name === "direct" ? "1" : m.req_per_s_ratio} | ${sys.name === "direct" ? "—" : m.router_cpu_ms_per_request}${sys.name === "llama-orch" ? ` (orchestrator ${m.router_cpu_ms_per_process[0]}, workers ${m.router_cpu_ms_per_process.slice(1).join(" + ")})` : ""} | ${m.stream_tokens_per_s} | ${sys.name === "direct" ? "1" : m.stream_ratio} | ${killCells} |`);
}
const wa = measured["llama-orch"].worker_alone_ms;
lines.push(`| llama-orch worker alone (its /v2 task stream, no orchestrator) | ${wa.p50} / ${wa.p99} | ${signed(r2(wa.p50 - direct.latency_ms.p50))} / ${signed(r2(wa.p99 - direct.latency_ms.p99))} | — | — | — | — | — | — | — | — |`);
for (const [peer, reason] of Object.entries(skipped)) lines.push(`| ${peer} | skipped: ${reason} | | | | | | | | | |`);
result.table = lines.join("\n");
clearTimeout(watchdog);
if (values.json) console.log(JSON.stringify(result));
else console.log(result.table);
process.exit(0);

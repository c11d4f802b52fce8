#!/usr/bin/env node
// The worker's per-token cost with the node-llama-cpp engine: decode tok/s through the worker's own
// API (1 stream, and 4 concurrent streams), for one or more builds of the worker side by side in
// interleaved rounds (an A/B against an older commit's dist: build it into a temp folder and pass its
// cli.js), plus llama-server on the same generated model as the baseline when a binary is available.
//   npx tsc -b && node bench/engine-token-cost.mjs [--worker-cli old/dist/worker-agent/cli.js,dist/worker-agent/cli.js]
//     [--model medium] [--threads 1] [--rounds 3] [--tokens 512] [--cpu-prof <dir>] [--json]
//     [--addon prebuilt,native [--addon-dir <native build>]]   (prebuilt vs native llama.cpp build, same worker)
//     [--token-flush-ms 0,4] [--worker-env "K=V;K2=V2,K=V"]   (per worker, in --worker-cli order)
// --cpu-prof writes V8 CPU profiles of every worker agent and engine child (LLORCH_ENGINE_CPU_PROF)
// into <dir>; read them with bench/cpu-profile-top.mjs. Reported numbers are medians; compare ratios.
// CPU ms/token is the CPU time of the whole system (agent + engine child, or llama-server) per streamed
// token: the steadier number on a loaded box, where wall-clock tok/s swings with other work.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readSseEvents, readSseFrames } from "../dist/src-shared/streaming/read-sse.js";
import { llamaServerArgs } from "../dist/worker-agent/engine/llama-server/llama-server-args.js";
import { benchWorkspace } from "./bench-processes.mjs";
import { ciLlamaServerBinary } from "./llama-server-cache.mjs";
import { ciNativeAddonDir } from "./native-addon-cache.mjs";

const { values } = parseArgs({
  options: {
    "worker-cli": { type: "string", default: "dist/worker-agent/cli.js" },
    model: { type: "string", default: "medium" },
    threads: { type: "string", default: "1" },
    rounds: { type: "string", default: "3" },
    tokens: { type: "string", default: "512" },
    "cpu-prof": { type: "string" },
    json: { type: "boolean", default: false },
    short: { type: "boolean", default: false },
    // node_llama_cpp_addon per worker (prebuilt,native: the same worker twice, once per llama.cpp build);
    // the native build is taken from --addon-dir (default: the CI cache, see native-addon-cache.mjs).
    addon: { type: "string" },
    "addon-dir": { type: "string" },
    // LLORCH_ENGINE_TOKEN_FLUSH_MS per worker (0,4: the same build with two token write intervals).
    "token-flush-ms": { type: "string" },
    // Extra environment per worker: "K=V;K2=V2" per worker, comma-separated (e.g. ",UV_THREADPOOL_SIZE=1").
    "worker-env": { type: "string" },
  },
});
const short = values.short;
const addons = values.addon === undefined ? [] : values.addon.split(",");
const cliList = values["worker-cli"].split(",").map((p) => resolve(p));
// One worker per cli, or per addon when --addon is given (a single cli is reused for each).
const flushes = values["token-flush-ms"] === undefined ? [] : values["token-flush-ms"].split(",");
const workerEnvs = values["worker-env"] === undefined ? [] : values["worker-env"].split(",").map((list) => Object.fromEntries(list.split(";").filter((kv) => kv.includes("=")).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])));
const count = Math.max(addons.length, flushes.length, cliList.length, workerEnvs.length);
const clis = Array.from({ length: count }, (_, i) => cliList[Math.min(i, cliList.length - 1)]);
const addonDir = addons.length > 0 ? (values["addon-dir"] ?? (await ciNativeAddonDir())) : undefined;
const threads = Number(values.threads);
const rounds = short ? 1 : Number(values.rounds);
const tokens = short ? 64 : Number(values.tokens);
const streamTokens = short ? 32 : Math.max(32, Math.floor(tokens / 2));
const SLOTS = 4;
const CTX = 4096;
const TIMEOUT_MS = 120_000;
const profDir = values["cpu-prof"] === undefined ? undefined : resolve(values["cpu-prof"]);
const say = (line) => process.stderr.write(`${line}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const token = "bench-token-0123456789abcdef0123456789";
let unique = 0;

const ws = benchWorkspace("llorch-token-cost-");
if (profDir !== undefined) mkdirSync(profDir, { recursive: true });

const makeModel = (size) => ws.model(`bench-${size}`, size, CTX);

async function startLlamaServer(binary, modelPath) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(binary, llamaServerArgs({ type: "load", model_path: modelPath, slots: SLOTS, threads, device: "cpu" }, CTX, port), { stdio: "ignore" });
  ws.track(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return { name: "llama-server", kind: "llama-server", child, url };
    await sleep(100);
  }
  throw new Error("llama-server did not become healthy");
}

async function startWorker(cli, modelPath, index) {
  const dir = join(ws.root, `w-${index}`);
  mkdirSync(dir, { recursive: true });
  const config = { bind_addr: "127.0.0.1:0", models_dir: join(modelPath, ".."), data_dir: join(dir, "data"), runtime_dir: join(dir, "engines"), log_level: "info", threads, pools: [{ id: "p", model: modelPath.split("/").at(-1), device: "cpu", slots: SLOTS, context_size: CTX }] };
  writeFileSync(join(dir, "worker.json"), JSON.stringify(config));
  const nodeArgs = profDir !== undefined ? ["--cpu-prof", "--cpu-prof-dir", join(profDir, `agent-${index}`)] : [];
  const addon = addons[Math.min(index, addons.length - 1)];
  const flush = flushes[Math.min(index, flushes.length - 1)];
  const extraEnv = workerEnvs[index] ?? {};
  const env = { LLORCH_API_TOKEN: token, ...extraEnv, ...(flush !== undefined ? { LLORCH_ENGINE_TOKEN_FLUSH_MS: flush } : {}), ...(addon !== undefined ? { LLORCH_NLC_ADDON: addon, LLORCH_NLC_ADDON_DIR: addonDir } : {}), ...(profDir !== undefined ? { LLORCH_ENGINE_CPU_PROF: join(profDir, `engine-${index}`) } : {}) };
  const { child, value } = await ws.start([...nodeArgs, cli, "start", "--config", join(dir, "worker.json"), "--log-format", "json"], env, (buf) => /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(buf)?.[1]);
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  for (let i = 0; i < 1200; i++) {
    const pools = await (await fetch(`${value}/v2/pools`, { headers })).json();
    // Two builds with the same addon (--addon native,native) would share a name; the build tells them apart.
    const build = `${String.fromCharCode(65 + index)} (${cli.replace(/\/worker-agent\/cli\.js$/, "")}${flush !== undefined ? `, token flush ${flush} ms` : ""}${Object.entries(extraEnv).map(([k, v]) => `, ${k}=${v}`).join("")})`;
    const distinct = new Set(clis).size > 1 || flushes.length > 1 || workerEnvs.length > 1;
    if (pools.pools.every((p) => p.ready)) return { name: addon !== undefined ? `worker ${distinct ? `${build} ` : ""}(${addon}, ${pools.pools[0]?.engine_version ?? "?"})` : `worker ${build}`, kind: "worker", child, url: value, headers };
    await sleep(100);
  }
  throw new Error(`worker ${cli}: pool never became ready`);
}

/** One streamed generation: per-event arrival times of its tokens. */
async function stream(sys, maxTokens) {
  const prompt = `Run ${unique++} ${Math.random()}: the cat sat on the mat.`;
  const sent = performance.now();
  const times = [];
  if (sys.kind === "llama-server") {
    const res = await fetch(`${sys.url}/completion`, { method: "POST", signal: AbortSignal.timeout(TIMEOUT_MS), headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt, n_predict: maxTokens, temperature: 0, stream: true, cache_prompt: true }) });
    for await (const frame of readSseFrames(res.body)) {
      const chunk = JSON.parse(frame.data);
      if (chunk.content !== "") times.push(performance.now());
      if (chunk.stop) break;
    }
  } else {
    const res = await fetch(`${sys.url}/v2/pools/p/infer`, { method: "POST", signal: AbortSignal.timeout(TIMEOUT_MS), headers: sys.headers, body: JSON.stringify({ task_id: `t-${unique++}`, prompt, max_tokens: maxTokens, temperature: 0 }) });
    for await (const ev of readSseEvents(res.body)) {
      if (ev.event === "token") times.push(performance.now());
      if (ev.event === "error") throw new Error(JSON.stringify(ev.data));
    }
  }
  return { sent, first: times[0], last: times.at(-1), tokens: times.length };
}

/**
 * CPU ms used so far by a process and its descendants (Linux /proc; utime + stime at 100 Hz). Unlike wall
 * time it hardly depends on what else runs on the box, so per-token CPU is the steadier A/B number.
 */
function ownCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}
function treeCpuMs(pid) {
  let ms = ownCpuMs(pid);
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) ms += treeCpuMs(Number(child));
  } catch {
    // gone
  }
  return ms;
}

async function measure(sys) {
  const cpuBefore = treeCpuMs(sys.child.pid);
  const ownBefore = ownCpuMs(sys.child.pid);
  const one = await stream(sys, tokens);
  const cpuOne = treeCpuMs(sys.child.pid);
  const ownOne = ownCpuMs(sys.child.pid);
  const four = await Promise.all([0, 1, 2, 3].map(() => stream(sys, streamTokens)));
  const cpuFour = treeCpuMs(sys.child.pid);
  const start = Math.min(...four.map((r) => r.sent));
  return {
    cpu_ms_per_token: (cpuOne - cpuBefore) / one.tokens,
    // The worker agent's own share (its engine child is the rest); llama-server has no children.
    agent_cpu_ms_per_token: (ownOne - ownBefore) / one.tokens,
    four_cpu_ms_per_token: (cpuFour - cpuOne) / four.reduce((a, r) => a + r.tokens, 0),
    decode_tps: (one.tokens - 1) / ((one.last - one.first) / 1000),
    decode_tokens: one.tokens,
    four_aggregate_tps: four.reduce((a, r) => a + r.tokens, 0) / ((Math.max(...four.map((r) => r.last)) - start) / 1000),
    four_first_ms: Math.max(...four.map((r) => r.first - r.sent)),
  };
}

const modelPath = await makeModel(values.model);
const systems = [];
const binary = await ciLlamaServerBinary();
if (existsSync(binary)) systems.push(await startLlamaServer(binary, modelPath));
else say(`engine-token-cost: no llama-server at ${binary}; workers only`);
for (const [i, cli] of clis.entries()) systems.push(await startWorker(cli, modelPath, i));
for (const sys of systems) await stream(sys, 16); // warm-up: first touch of the weights
const samples = new Map(systems.map((s) => [s.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const sys of round % 2 === 0 ? systems : [...systems].reverse()) {
    const m = await measure(sys);
    samples.get(sys.name).push(m);
    say(`  round ${round + 1} ${sys.name}: 1 stream ${m.decode_tps.toFixed(0)} tok/s (${m.cpu_ms_per_token.toFixed(2)} CPU ms/token, agent ${m.agent_cpu_ms_per_token.toFixed(2)}), 4 streams ${m.four_cpu_ms_per_token.toFixed(2)} CPU ms/token, ${m.four_aggregate_tps.toFixed(0)} tok/s (slowest first token ${m.four_first_ms.toFixed(0)} ms)`);
  }
}
// Graceful stops, so that profiles are written.
for (const sys of systems) {
  sys.child.kill("SIGTERM");
  await new Promise((r) => (sys.child.exitCode !== null || sys.child.signalCode !== null ? r() : sys.child.once("exit", r)));
}
const base = systems[0].kind === "llama-server" ? systems[0].name : undefined;
const result = systems.map((s) => {
  const ms = samples.get(s.name);
  return { system: s.name, cpu_ms_per_token: median(ms.map((m) => m.cpu_ms_per_token)), agent_cpu_ms_per_token: median(ms.map((m) => m.agent_cpu_ms_per_token)), four_cpu_ms_per_token: median(ms.map((m) => m.four_cpu_ms_per_token)), decode_tps: median(ms.map((m) => m.decode_tps)), four_aggregate_tps: median(ms.map((m) => m.four_aggregate_tps)), four_first_ms: median(ms.map((m) => m.four_first_ms)) };
});
const s0 = (r) => (r.system === base ? "" : ` (${r.agent_cpu_ms_per_token.toFixed(2)})`);
const ref = (key) => result.find((r) => r.system === base)?.[key];
const lines = [
  `engine-token-cost: ${values.model} model, ${threads} thread(s), ${SLOTS} slots, ctx ${CTX}; 1 stream of ${tokens} tokens, 4 concurrent streams of ${streamTokens}; median of ${rounds} interleaved rounds`,
  "",
  "| system | 1 stream tok/s | ms/token | ×llama-server | CPU ms/token (agent part) | 4 streams tok/s | ×llama-server | CPU ms/token | 4 streams slowest first token ms |",
  "|---|---|---|---|---|---|---|---|---|",
  ...result.map((r) => {
    const x = (key) => (ref(key) === undefined ? "—" : (r[key] / ref(key)).toFixed(2));
    return `| ${r.system} | ${r.decode_tps.toFixed(0)} | ${(1000 / r.decode_tps).toFixed(2)} | ${x("decode_tps")} | ${r.cpu_ms_per_token.toFixed(2)}${s0(r)} | ${r.four_aggregate_tps.toFixed(0)} | ${x("four_aggregate_tps")} | ${r.four_cpu_ms_per_token.toFixed(2)} | ${r.four_first_ms.toFixed(0)} |`;
  }),
];
// Paired per round against the first worker: on a loaded box the load moves all systems of a round
// together, so the per-round ratio and how many rounds a build won say more than two medians do.
const workers = systems.filter((s) => s.kind === "worker");
const paired = workers.slice(1).map((s) => {
  const a = samples.get(workers[0].name);
  const b = samples.get(s.name);
  const ratios = (key) => b.map((m, i) => m[key] / a[i][key]);
  const wins = (key, higherIsBetter) => ratios(key).filter((r) => (higherIsBetter ? r > 1 : r < 1)).length;
  return { system: s.name, against: workers[0].name, rounds: b.length, decode_tps_ratio: median(ratios("decode_tps")), decode_wins: wins("decode_tps", true), cpu_ratio: median(ratios("cpu_ms_per_token")), cpu_wins: wins("cpu_ms_per_token", false), four_tps_ratio: median(ratios("four_aggregate_tps")), four_wins: wins("four_aggregate_tps", true), four_cpu_ratio: median(ratios("four_cpu_ms_per_token")), four_cpu_wins: wins("four_cpu_ms_per_token", false) };
});
if (paired.length > 0) {
  lines.push("", `Paired per round against ${workers[0].name} (median of the per-round ratios; rounds won of ${rounds}):`, "", "| system | 1 stream tok/s ratio (won) | CPU ms/token ratio (lower in) | 4 streams tok/s ratio (won) | 4 streams CPU ms/token ratio (lower in) |", "|---|---|---|---|---|");
  for (const p of paired) lines.push(`| ${p.system} | ${p.decode_tps_ratio.toFixed(2)} (${p.decode_wins}) | ${p.cpu_ratio.toFixed(2)} (${p.cpu_wins}) | ${p.four_tps_ratio.toFixed(2)} (${p.four_wins}) | ${p.four_cpu_ratio.toFixed(2)} (${p.four_cpu_wins}) |`);
}
say(lines.join("\n"));
if (values.json) console.log(JSON.stringify({ result, paired, table: lines.join("\n") }));
else console.log(lines.join("\n"));

#!/usr/bin/env node
// The worker's engines against llama.cpp's own llama-server, built from the same llama.cpp source
// (`llama-orch-worker engine build`), on the same generated F16 model, same threads, 4 slots, context
// 4096 per slot. Each (model, threads) case starts every system once and runs interleaved rounds
// (the order flips every round); reported numbers are medians, compared as ratios within the run.
//   npx tsc -b && node bench/engine-vs-llama-server.mjs [--models medium,big] [--threads 1,2] [--rounds 3] [--json]
//     [--worker-cli old/dist/worker-agent/cli.js,dist/worker-agent/cli.js] [--only-nlc] [--addon auto|prebuilt|native[,...]]
// --addon prebuilt,native: one node-llama-cpp worker per llama.cpp build, in the same rounds (paired ratios
// against the first); a single --worker-cli is reused for each. Each worker's `engine ready` threads (the
// pool-start thread calibration's choice) are printed and kept in --json.
// --worker-cli: one node-llama-cpp worker per build (an A/B of two commits' dist, interleaved in the same
// rounds, with per-round paired ratios); --only-nlc: leave out the llama-server engine worker and the
// in-process node-llama-cpp profile (faster rounds when only the node-llama-cpp engine is compared).
// Systems: llama-server (direct HTTP), worker with the node-llama-cpp engine (its HTTP/SSE API) and
// worker with the llama-server engine (same API, llama-server behind it). Needs a built llama-server:
// LLORCH_LLAMA_SERVER=<binary>, or ~/.cache/llama-orch-ci/llama-server-<version>/llama-server
// (build it there with `node dist/worker-agent/cli.js engine build --out <that folder>`). Without one
// the benchmark prints why and exits 0. The node-llama-cpp engine loads the native build from
// LLORCH_NLC_ADDON_DIR or ~/.cache/llama-orch-ci/nlc-native-<nlc version>-<tag> when it is there
// (`engine build --engine node-llama-cpp --out <that folder>`), else the prebuilt one.
import { spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readSseEvents, readSseFrames } from "../dist/src-shared/streaming/read-sse.js";
import { llamaServerArgs } from "../dist/worker-agent/engine/llama-server/llama-server-args.js";
import { benchWorkspace } from "./bench-processes.mjs";
import { ciLlamaServerBinary } from "./llama-server-cache.mjs";
import { ciNativeAddonDir } from "./native-addon-cache.mjs";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "medium,big" },
    threads: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "3" },
    decode: { type: "string", default: "512" },
    json: { type: "boolean", default: false },
    short: { type: "boolean", default: false },
    "worker-cli": { type: "string", default: "dist/worker-agent/cli.js" },
    "only-nlc": { type: "boolean", default: false },
    // which llama.cpp build the node-llama-cpp workers load: auto (the native build when present), prebuilt, native
    addon: { type: "string", default: "auto" },
  },
});
const short = values.short;
const cliList = values["worker-cli"].split(",").map((p) => resolve(p));
const addonList = values.addon.split(",");
// One node-llama-cpp worker per build, or per addon (a single build reused), zipped when both are lists.
const workerCount = Math.max(cliList.length, addonList.length);
const workerClis = Array.from({ length: workerCount }, (_, i) => cliList[Math.min(i, cliList.length - 1)]);
const workerAddons = Array.from({ length: workerCount }, (_, i) => addonList[Math.min(i, addonList.length - 1)]);
const onlyNlc = values["only-nlc"];
/** The node-llama-cpp worker systems, one per --worker-cli build. */
const nlcName = (i) => (workerClis.length === 1 ? "worker/node-llama-cpp" : addonList.length > 1 && cliList.length === 1 ? `worker/node-llama-cpp ${workerAddons[i]}` : `worker/node-llama-cpp #${i + 1}`);
const models = short ? ["medium"] : values.models.split(",");
const threadCounts = short ? [1] : values.threads.split(",").map(Number);
const rounds = short ? 1 : Number(values.rounds);
const decodeTokens = short ? 64 : Number(values.decode);
const SLOTS = 4;
const CTX = 4096;
const PROMPT_TOKENS = 2000;
const STREAM_TOKENS = short ? 32 : 256;
// A system slower than this on one measurement (node-llama-cpp's spinning threads on an oversubscribed
// box) is reported as "> limit" and not measured further in that case.
const STREAM_TIMEOUT_MS = 90_000;
const say = (line) => process.stderr.write(`${line}\n`);

const binary = await ciLlamaServerBinary();
const nativeAddonDir = await ciNativeAddonDir();
if (!existsSync(binary)) {
  const reason = `no llama-server at ${binary}: build it with \`node dist/worker-agent/cli.js engine build --out ${join(binary, "..")}\` or set LLORCH_LLAMA_SERVER`;
  say(`engine-vs-llama-server: skipped (${reason})`);
  console.log(JSON.stringify({ skipped: reason }));
  process.exit(0);
}

const ws = benchWorkspace("llorch-engine-bench-");
const token = "bench-token-0123456789abcdef0123456789";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let unique = 0;

const makeModel = (size) => ws.model(`bench-${size}`, size, CTX);

/** llama-server started exactly as the worker's llama-server engine starts it. */
async function startLlamaServer(modelPath, threads) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const args = llamaServerArgs({ type: "load", model_path: modelPath, slots: SLOTS, threads, device: "cpu" }, CTX, port);
  // REF_STDERR=<file>: the reference llama-server's log goes there (why it closed a stream, say).
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", process.env.REF_STDERR ? openSync(process.env.REF_STDERR, "a") : "ignore"] });
  ws.track(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return { child, url };
    await sleep(100);
  }
  throw new Error("llama-server did not become healthy");
}

async function startWorker(modelPath, threads, engine, cli = "dist/worker-agent/cli.js", addon = addonList[0]) {
  const config = {
    models_dir: join(modelPath, ".."),
    threads,
    llama_server_path: binary,
    // The native node-llama-cpp build from the CI cache when it is there (else the prebuilt; the
    // engine_version printed below says which).
    node_llama_cpp_addon_dir: nativeAddonDir,
    node_llama_cpp_addon: addon,
    pools: [{ id: "p", model: modelPath.split("/").at(-1), device: "cpu", slots: SLOTS, context_size: CTX, engine }],
  };
  const { child, url, headers, pools } = await ws.configuredWorker(`w-${engine}-${threads}-${unique++}`, config, { cli, token, readyWithinMs: 120_000 });
  // The engine's `engine ready` log line (JSON log; bench-processes keeps the output as child.output):
  // the threads the pool-start calibration kept. Read when the case ends (a restarted engine logs again).
  const ready = () => {
    let last;
    for (const line of String(child.output ?? "").split("\n")) {
      if (!line.includes('"engine ready"')) continue;
      try {
        const entry = JSON.parse(line);
        last = { threads: entry.threads, addon: entry.addon, engines_started: (last?.engines_started ?? 0) + 1 };
      } catch {
        // not a JSON log line
      }
    }
    return last;
  };
  say(`  worker (${engine}${engine === "node-llama-cpp" ? `, addon ${addon}` : ""}): ${pools[0]?.engine_version ?? "?"}`);
  return { child, url, headers, ready };
}

/** One streamed generation; times in ms from `sent`. */
async function streamLlamaServer(sys, prompt, maxTokens) {
  const sent = performance.now();
  const res = await fetch(`${sys.url}/completion`, { method: "POST", signal: AbortSignal.timeout(STREAM_TIMEOUT_MS), headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt, n_predict: maxTokens, temperature: 0, stream: true, cache_prompt: true }) });
  let first = 0;
  let last = 0;
  let tokens = 0;
  for await (const frame of readSseFrames(res.body)) {
    const chunk = JSON.parse(frame.data);
    if (chunk.content !== "") {
      tokens++;
      last = performance.now();
      if (first === 0) first = last;
    }
    if (chunk.stop) break;
  }
  return { sent, first, last, tokens };
}

async function streamWorker(sys, prompt, maxTokens) {
  const sent = performance.now();
  const res = await fetch(`${sys.url}/v2/pools/p/infer`, { method: "POST", signal: AbortSignal.timeout(STREAM_TIMEOUT_MS), headers: sys.headers, body: JSON.stringify({ task_id: `t-${unique++}`, prompt, max_tokens: maxTokens, temperature: 0 }) });
  let first = 0;
  let last = 0;
  let tokens = 0;
  for await (const ev of readSseEvents(res.body)) {
    if (ev.event === "token") {
      tokens++;
      last = performance.now();
      if (first === 0) first = last;
    }
    if (ev.event === "error") throw new Error(JSON.stringify(ev.data));
  }
  return { sent, first, last, tokens };
}

// A unique start keeps llama-server's prompt cache from reusing an earlier round's prefix.
const shortPrompt = () => `Run ${unique++} ${Math.random()}: the cat sat on the mat.`;

const longPrompt = (words) => `${unique++} ${Math.random()} ${words}`;

async function measure(sys) {
  const stream = sys.kind === "llama-server" ? streamLlamaServer : streamWorker;
  const decode = await stream(sys, shortPrompt(), decodeTokens);
  const decodeTps = (decode.tokens - 1) / ((decode.last - decode.first) / 1000);
  const ttft = await stream(sys, longPrompt(sys.longWords), 1);
  const runs = [];
  for (let i = 0; i < 4; i++) {
    const run = stream(sys, shortPrompt(), STREAM_TOKENS);
    // Handled by Promise.all below; a stream failing during the stagger's sleep crashed the whole bench.
    run.catch(() => undefined);
    runs.push(run);
    if (i < 3) await sleep(100);
  }
  const four = await Promise.all(runs);
  const firstSent = Math.min(...four.map((r) => r.sent));
  const aggregate = four.reduce((a, r) => a + r.tokens, 0) / ((Math.max(...four.map((r) => r.last)) - firstSent) / 1000);
  return { decode_tps: decodeTps, decode_tokens: decode.tokens, ttft_ms: ttft.first - ttft.sent, first_tokens_ms: four.map((r) => r.first - r.sent), aggregate_tps: aggregate };
}

/** node-llama-cpp alone (bench/nlc-decode-profile.mjs) in its own process; null when it exceeds the limit. */
function nlcProfile(modelPath, threads) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bench/nlc-decode-profile.mjs", "--model", modelPath, "--threads", String(threads), "--tokens", String(decodeTokens), "--slots", String(SLOTS), "--ctx", String(CTX)], { stdio: ["ignore", "pipe", "ignore"] });
    ws.track(child);
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), STREAM_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split("\n").at(-1)));
      } catch {
        resolve(null);
      }
    });
  });
}

/** Words making PROMPT_TOKENS tokens for this model's tokenizer (measured with llama-server /tokenize). */
async function calibrateWords(url) {
  const base = "the quick brown fox jumps over the lazy dog while a small cat sat on the mat and watched";
  const count = async (text) => (await (await fetch(`${url}/tokenize`, { method: "POST", body: JSON.stringify({ content: text, add_special: true }) })).json()).tokens.length;
  const perRepeat = (await count(`${base} `.repeat(10))) / 10;
  let text = `${base} `.repeat(Math.floor(PROMPT_TOKENS / perRepeat));
  while ((await count(text)) > PROMPT_TOKENS - 40) text = text.slice(0, Math.floor(text.length * 0.97));
  return text;
}

const results = [];
for (const size of models) {
  const modelPath = await makeModel(size);
  for (const threads of threadCounts) {
    say(`${size}, ${threads} thread(s): starting llama-server and workers`);
    const ls = await startLlamaServer(modelPath, threads);
    const words = await calibrateWords(ls.url);
    const systems = [
      { name: "llama-server", kind: "llama-server", longWords: words, ...ls },
    ];
    for (const [i, cli] of workerClis.entries()) systems.push({ name: nlcName(i), kind: "worker", longWords: words, ...(await startWorker(modelPath, threads, "node-llama-cpp", cli, workerAddons[i])) });
    if (!onlyNlc) systems.push({ name: "worker/llama-server", kind: "worker", longWords: words, ...(await startWorker(modelPath, threads, "llama-server")) });
    // Warm-up (first touch of the weights, thread start) is not measured.
    for (const sys of systems) await (sys.kind === "llama-server" ? streamLlamaServer : streamWorker)(sys, shortPrompt(), 16);
    const samples = new Map(systems.map((s) => [s.name, []]));
    const timedOut = new Set();
    const profiles = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? systems : [...systems].reverse();
      for (const sys of order) {
        if (timedOut.has(sys.name)) continue;
        try {
          const m = await measure(sys);
          samples.get(sys.name).push(m);
          say(`  round ${round + 1} ${sys.name}: decode ${m.decode_tps.toFixed(0)} tok/s, ttft ${m.ttft_ms.toFixed(0)} ms, 4 streams first ${m.first_tokens_ms.map((x) => x.toFixed(0)).join("/")} ms, aggregate ${m.aggregate_tps.toFixed(0)} tok/s`);
        } catch (error) {
          timedOut.add(sys.name);
          say(`  round ${round + 1} ${sys.name}: gave up (${error instanceof Error ? error.message : String(error)}; limit ${STREAM_TIMEOUT_MS / 1000} s per stream)`);
        }
      }
      if (!onlyNlc && !timedOut.has("nlc")) {
        const profile = await nlcProfile(modelPath, threads);
        if (profile === null) timedOut.add("nlc");
        profiles.push(profile);
        say(`  round ${round + 1} node-llama-cpp in-process: ${profile === null ? `gave up (> ${STREAM_TIMEOUT_MS / 1000} s)` : JSON.stringify(profile)}`);
      }
    }
    const summary = {};
    for (const [name, ms] of samples) {
      if (ms.length === 0) {
        summary[name] = null;
        continue;
      }
      summary[name] = {
        decode_tps: median(ms.map((m) => m.decode_tps)),
        decode_tokens: median(ms.map((m) => m.decode_tokens)),
        ttft_ms: median(ms.map((m) => m.ttft_ms)),
        first_tokens_ms: [0, 1, 2, 3].map((i) => median(ms.map((m) => m.first_tokens_ms[i]))),
        aggregate_tps: median(ms.map((m) => m.aggregate_tps)),
      };
    }
    const done = profiles.filter((p) => p !== null);
    const profile = done.length === 0 ? null : { raw_ms_per_token: median(done.map((p) => p.raw_ms_per_token)), completion_ms_per_token: median(done.map((p) => p.completion_ms_per_token)) };
    // Per round, each worker against llama-server and against the first node-llama-cpp build: the load
    // on a shared box moves both sides of a round together, so these vary less than the medians.
    const paired = {};
    const perRound = (a, b, f) => (samples.get(a) ?? []).map((m, i) => { const o = samples.get(b)?.[i]; return o === undefined ? undefined : f(m) / f(o); }).filter((x) => x !== undefined);
    for (const sys of systems.filter((x) => x.kind === "worker")) {
      const vs = (other) => ({ decode: perRound(sys.name, other, (m) => m.decode_tps), aggregate: perRound(sys.name, other, (m) => m.aggregate_tps), ttft: perRound(sys.name, other, (m) => 1 / m.ttft_ms) });
      paired[sys.name] = { vs_llama_server: vs("llama-server"), ...(sys.name !== nlcName(0) && workerClis.length > 1 ? { vs_first_build: vs(nlcName(0)) } : {}) };
    }
    const engineReady = Object.fromEntries(systems.filter((x) => x.kind === "worker").map((x) => [x.name, x.ready()]));
    for (const [name, r] of Object.entries(engineReady)) say(`  ${name}: engine ready with ${r?.threads ?? "?"} thread(s) (configured ${threads})${r?.addon !== undefined ? `, addon ${r.addon}` : ""}${(r?.engines_started ?? 1) > 1 ? `, ${r.engines_started} engine starts` : ""}`);
    results.push({ model: size, threads, systems: summary, nlc_in_process: profile, paired, engine_ready: engineReady });
    for (const sys of systems) {
      sys.child.kill("SIGTERM");
      await new Promise((r) => (sys.child.exitCode !== null ? r() : sys.child.once("exit", r)));
    }
  }
}

const r2 = (x) => Math.round(x * 100) / 100;
const workerNames = [...workerClis.map((_, i) => nlcName(i)), ...(onlyNlc ? [] : ["worker/llama-server"])];
const label = (name) => (name === "worker/llama-server" ? "worker (llama-server engine)" : name.replace("worker/node-llama-cpp", "worker (node-llama-cpp)"));
const lines = [
  `engine-vs-llama-server: ${SLOTS} slots, ctx ${CTX}, decode ${decodeTokens} tokens, ${PROMPT_TOKENS}-token prompt TTFT, 4 streams of ${STREAM_TOKENS} tokens 100 ms apart; median of ${rounds} interleaved rounds`,
  ...(workerClis.length > 1 ? ["", ...workerClis.map((cli, i) => `${label(nlcName(i))}: ${cli}, addon ${workerAddons[i]}`)] : []),
  "",
  `| model, threads | metric | llama-server | ${workerNames.map((n) => `${label(n)} | ratio`).join(" | ")} |`,
  `|---|---|---|${workerNames.map(() => "---|---|").join("")}`,
];
for (const r of results) {
  const ls = r.systems["llama-server"];
  const gaveUp = `gave up (> ${STREAM_TIMEOUT_MS / 1000} s)`;
  const show = (sys, fmt) => (sys === null || sys === undefined ? gaveUp : fmt(sys));
  const row = (metric, f, fmt, higherBetter) => {
    const ratio = (w) => (w === null || ls === null ? "—" : r2(higherBetter ? f(w) / f(ls) : f(ls) / Math.max(0.5, f(w))));
    lines.push(`| ${r.model}, ${r.threads} | ${metric} | ${show(ls, fmt)} | ${workerNames.map((n) => `${show(r.systems[n], fmt)} | ${ratio(r.systems[n])}`).join(" | ")} |`);
  };
  const firsts = (sys) => sys.first_tokens_ms.map((x) => x.toFixed(0)).join(" / ");
  row("decode tok/s", (s) => s.decode_tps, (s) => s.decode_tps.toFixed(0), true);
  row(`${PROMPT_TOKENS}-token prompt TTFT ms`, (s) => s.ttft_ms, (s) => s.ttft_ms.toFixed(0), false);
  lines.push(`| ${r.model}, ${r.threads} | 4 streams 100 ms apart: first token ms | ${show(ls, firsts)} | ${workerNames.map((n) => `${show(r.systems[n], firsts)} | —`).join(" | ")} |`);
  row("4-stream aggregate tok/s", (s) => s.aggregate_tps, (s) => s.aggregate_tps.toFixed(0), true);
}
lines.push("", "Threads each worker's engine runs (`engine ready`; for node-llama-cpp the pool-start calibration's choice)", "", `| model, configured threads | ${workerNames.map(label).join(" | ")} |`, `|---|${workerNames.map(() => "---|").join("")}`);
for (const r of results) lines.push(`| ${r.model}, ${r.threads} | ${workerNames.map((n) => String(r.engine_ready[n]?.threads ?? "?")).join(" | ")} |`);
const pairedCell = (xs, base = 1) => (xs.length === 0 ? "—" : `${r2(median(xs))} (${xs.filter((x) => x > base).length} of ${xs.length})`);
lines.push("", "Paired per round (median of the per-round ratios; in brackets the rounds above 1)", "", "| model, threads | system | decode / llama-server | TTFT: llama-server / worker | aggregate / llama-server | decode / first build | aggregate / first build |", "|---|---|---|---|---|---|---|");
for (const r of results) {
  for (const n of workerNames) {
    const p = r.paired[n];
    if (p === undefined) continue;
    lines.push(`| ${r.model}, ${r.threads} | ${label(n)} | ${pairedCell(p.vs_llama_server.decode)} | ${pairedCell(p.vs_llama_server.ttft)} | ${pairedCell(p.vs_llama_server.aggregate)} | ${p.vs_first_build === undefined ? "—" : pairedCell(p.vs_first_build.decode)} | ${p.vs_first_build === undefined ? "—" : pairedCell(p.vs_first_build.aggregate)} |`);
  }
}
lines.push("", "Per-token decode cost (ms/token, single stream): llama-server C++ → node-llama-cpp in-process (raw evaluate loop / LlamaCompletion) → worker over IPC + HTTP/SSE", "", "| model, threads | llama-server | node-llama-cpp evaluate() | node-llama-cpp LlamaCompletion | worker (node-llama-cpp) | worker (llama-server engine) |", "|---|---|---|---|---|---|");
const perToken = (sys) => (sys === null ? "—" : (1000 / sys.decode_tps).toFixed(2));
for (const r of results) {
  const p = r.nlc_in_process;
  lines.push(`| ${r.model}, ${r.threads} | ${perToken(r.systems["llama-server"])} | ${p === null ? "—" : p.raw_ms_per_token.toFixed(2)} | ${p === null ? "—" : p.completion_ms_per_token.toFixed(2)} | ${perToken(r.systems[nlcName(0)] ?? null)} | ${perToken(r.systems["worker/llama-server"] ?? null)} |`);
}
lines.push("", "ratio = worker / llama-server for tok/s, llama-server / worker for times (above 1: the worker is faster)");
say(lines.join("\n"));
if (values.json) console.log(JSON.stringify({ results, table: lines.join("\n") }));
else console.log(lines.join("\n"));

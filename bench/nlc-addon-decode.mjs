#!/usr/bin/env node
// node-llama-cpp's own decode speed on its prebuilt llama.cpp binary vs the native build (`engine build
// --engine node-llama-cpp`), without the worker around it and without thread calibration: one
// sequence, greedy, `--tokens` tokens per measurement, at each thread count, in interleaved rounds, each
// measurement in a fresh child process (both builds name their libraries libllama.v<tag>.so, so they
// cannot share a process). Reports wall ms/token and CPU ms/token (the child's user+system time, all
// threads) as medians; compare ratios within one run.
//   npx tsc -b && node bench/nlc-addon-decode.mjs [--model medium] [--threads 1,2] [--rounds 5] [--tokens 256]
//     [--sequences 4] [--ctx 4096] [--addon-dir <dir>] [--prompt-tokens 2000]
//     [--configs prebuilt,native,prebuilt:fa-off,dir=/some/build:fa-off,prebuilt:kv-F32]
// `--configs` compares any set (default: prebuilt,native): `prebuilt` (node-llama-cpp's own binaries),
// `native` (--addon-dir), `dir=<path>` (any directory laid out like the native build, e.g. the
// prebuilt's files with one CPU variant only); `:fa-on` / `:fa-off` set the context's flash attention
// (default auto), `:kv-<type>` its KV cache type (both K and V), `:batch-<n>` its batch size (n_batch =
// n_ubatch in node-llama-cpp; default 512), `:env-NAME=VALUE` an environment variable of that config's
// child (repeatable: `native:env-OMP_WAIT_POLICY=passive:env-GOMP_SPINCOUNT=0`), `:taskset-<cpus>` runs
// the child under `taskset -c <cpus>`. `llama-server` (also with `:env-…`) measures llama.cpp's own server in
// the same rounds: one /completion of `--tokens` tokens, its own `timings.predicted_per_token_ms`, CPU from
// /proc (the thread-count baseline: same model, same threads, --parallel = --sequences, --ctx per slot).
// Children inherit this process's environment (set UV_THREADPOOL_SIZE=1 to match the engine child on 2 cores).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { benchWorkspace } from "./bench-processes.mjs";
import { ciNativeAddonDir } from "./native-addon-cache.mjs";
import { ciLlamaServerBinary } from "./llama-server-cache.mjs";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "medium" },
    threads: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "5" },
    tokens: { type: "string", default: "256" },
    // the worker's shape by default: 4 sequences of 4096 tokens in one context
    sequences: { type: "string", default: "4" },
    ctx: { type: "string", default: "4096" },
    "addon-dir": { type: "string" },
    configs: { type: "string", default: "prebuilt,native" },
    // also time a fresh prompt of this many tokens to its first token (0: no)
    "prompt-tokens": { type: "string", default: "0" },
    // and then decode this many tokens after it (ms/token at a KV cache of ≈ prompt-tokens cells)
    "prompt-decode": { type: "string", default: "0" },
    // internal (child): flash attention auto|on|off, the KV cache's type (F16, F32, Q8_0, …)
    "flash-attention": { type: "string", default: "auto" },
    "kv-type": { type: "string" },
    "batch-size": { type: "string" },
    // internal: one measurement in this process (model-path also picks the parent's model)
    child: { type: "string" },
    "model-path": { type: "string" },
  },
});
const say = (line) => process.stderr.write(`${line}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (values.child !== undefined) {
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const threads = Number(values.threads);
  const tokens = Number(values.tokens);
  let llama;
  if (values.child === "native" || values.child === "dir") {
    const { loadNativeLlama } = await import("../dist/worker-agent/engine/native-addon/load-native-addon.js");
    const { readNativeAddon } = await import("../dist/worker-agent/engine/native-addon/native-addon-info.js");
    const read = readNativeAddon(values["addon-dir"]);
    if (read.state !== "present") throw new Error(`no native build in ${values["addon-dir"]}`);
    llama = await loadNativeLlama(values["addon-dir"], read.info, threads, LlamaLogLevel.warn);
  } else {
    llama = await getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: LlamaLogLevel.warn });
  }
  const model = await llama.loadModel({ modelPath: values["model-path"], gpuLayers: 0 });
  const fa = values["flash-attention"];
  const kv = values["kv-type"];
  const context = await model.createContext({
    contextSize: Number(values.ctx),
    sequences: Number(values.sequences),
    threads,
    ...(fa === "auto" ? {} : { flashAttention: fa === "on" }),
    ...(kv === undefined ? {} : { experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv }),
    ...(values["batch-size"] === undefined ? {} : { batchSize: Number(values["batch-size"]) }),
  });
  const sequence = context.getSequence();
  const prompt = model.tokenize("Measuring decode: the cat sat on the mat.");
  const run = async (n) => {
    await sequence.clearHistory();
    let count = 0;
    let first = 0;
    let cpuFirst;
    for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
      void token;
      if (count === 0) {
        first = performance.now();
        cpuFirst = process.cpuUsage();
      }
      if (++count >= n) break;
    }
    const cpu = process.cpuUsage(cpuFirst);
    return { ms_per_token: (performance.now() - first) / (count - 1), cpu_ms_per_token: (cpu.user + cpu.system) / 1000 / (count - 1) };
  };
  // A prompt of fresh tokens (a different sequence of the same context), timed to its first token.
  const timePrompt = async (n) => {
    const promptSequence = context.getSequence();
    const text = Array.from({ length: n }, (_, i) => `w${i % 97}`).join(" ");
    const tokensIn = model.tokenize(text).slice(0, n);
    const after = Number(values["prompt-decode"]);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let firstAt = 0;
    let cpuFirst;
    let count = 0;
    for await (const token of promptSequence.evaluate(tokensIn, { temperature: 0 })) {
      void token;
      if (count === 0) {
        firstAt = performance.now();
        cpuFirst = process.cpuUsage();
      }
      if (++count > after) break;
    }
    const cpuAfter = process.cpuUsage(cpuFirst);
    const cPrompt = { user: cpuFirst.user - c0.user, system: cpuFirst.system - c0.system };
    promptSequence.dispose();
    return {
      prompt_ms: firstAt - t0,
      prompt_cpu_ms: (cPrompt.user + cPrompt.system) / 1000,
      ...(after > 0 ? { after_prompt_ms_per_token: (performance.now() - firstAt) / after, after_prompt_cpu_ms_per_token: (cpuAfter.user + cpuAfter.system) / 1000 / after } : {}),
    };
  };
  await run(16); // warm-up
  const decode = await run(tokens);
  const promptTokens = Number(values["prompt-tokens"]);
  const prompt_ = promptTokens > 0 ? await timePrompt(promptTokens) : {};
  console.log(JSON.stringify({ addon: values.child, threads, build: llama.buildType, flash_attention: context.flashAttention, ...decode, ...prompt_ }));
  await llama.dispose();
  process.exit(0);
}

const ws = benchWorkspace("llorch-nlc-addon-");
const modelPath = values["model-path"] ?? (await ws.model(`bench-${values.model}`, values.model, 4096));
const threadCounts = values.threads.split(",").map(Number);
const configs = values.configs.split(",").map((text) => {
  const [addon, ...opts] = text.split(":");
  const fa = opts.includes("fa-on") ? "on" : opts.includes("fa-off") ? "off" : "auto";
  const kv = opts.find((o) => o.startsWith("kv-"))?.slice(3);
  const batch = opts.find((o) => o.startsWith("batch-"))?.slice(6);
  const env = Object.fromEntries(opts.filter((o) => o.startsWith("env-")).map((o) => [o.slice(4, o.indexOf("=")), o.slice(o.indexOf("=") + 1)]));
  const taskset = opts.find((o) => o.startsWith("taskset-"))?.slice(8);
  const common = { label: text, fa, kv, batch, env, taskset };
  if (addon === "prebuilt") return { ...common, child: "prebuilt", dir: undefined };
  if (addon === "native") return { ...common, child: "native", dir: values["addon-dir"] };
  if (addon.startsWith("dir=")) return { ...common, child: "dir", dir: addon.slice(4) };
  if (addon === "llama-server") return { ...common, child: "llama-server", dir: undefined };
  throw new Error(`unknown config ${text}`);
});
if (configs.some((c) => c.child === "native" && c.dir === undefined)) {
  const dir = await ciNativeAddonDir();
  for (const c of configs) if (c.child === "native") c.dir = dir;
}

const llamaServerBinary = configs.some((c) => c.child === "llama-server") ? await ciLlamaServerBinary() : undefined;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** utime + stime of a process, ms (all its threads). */
const procCpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
};

/** llama-server at `threads`: one greedy /completion of --tokens tokens after a warm-up, its own timings. */
async function measureLlamaServer(config, threads, attempt = 1) {
  const { llamaServerArgs } = await import("../dist/worker-agent/engine/llama-server/llama-server-args.js");
  const port = 20000 + Math.floor(Math.random() * 20000);
  const args = llamaServerArgs({ type: "load", model_path: modelPath, slots: Number(values.sequences), threads, device: "cpu" }, Number(values.ctx), port);
  const child = spawn(config.taskset !== undefined ? "taskset" : llamaServerBinary, config.taskset !== undefined ? ["-c", config.taskset, llamaServerBinary, ...args] : args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...config.env } });
  let log = "";
  child.stderr.on("data", (d) => (log = (log + d).slice(-2000)));
  let exited = false;
  child.once("exit", () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (exited || i > 600) {
        // a port taken by another process on the shared box: try another one
        if (attempt < 3) return await measureLlamaServer(config, threads, attempt + 1);
        throw new Error(`llama-server did not start:\n${log}`);
      }
      if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) break;
      await sleep(100);
    }
    const complete = async (n, prompt) => {
      const r = await fetch(`${url}/completion`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt, n_predict: n, temperature: 0, ignore_eos: true, cache_prompt: false }) });
      return (await r.json()).timings;
    };
    await complete(16, "Warming up: the cat sat on the mat.");
    const cpu0 = procCpuMs(child.pid);
    const timings = await complete(Number(values.tokens), "Measuring decode: the cat sat on the mat.");
    const cpu = procCpuMs(child.pid) - cpu0;
    // CPU over the whole request (the short prompt included), per generated token
    return { addon: "llama-server", threads, ms_per_token: timings.predicted_per_token_ms, cpu_ms_per_token: cpu / timings.predicted_n };
  } finally {
    child.kill("SIGKILL");
  }
}

function measure(config, threads) {
  if (config.child === "llama-server") return measureLlamaServer(config, threads);
  return new Promise((res, rej) => {
    const args = [new URL(import.meta.url).pathname, "--child", config.child, "--threads", String(threads), "--tokens", values.tokens, "--sequences", values.sequences, "--ctx", values.ctx, "--model-path", modelPath, "--flash-attention", config.fa, "--prompt-tokens", values["prompt-tokens"], "--prompt-decode", values["prompt-decode"]];
    if (config.dir !== undefined) args.push("--addon-dir", config.dir);
    if (config.kv !== undefined) args.push("--kv-type", config.kv);
    if (config.batch !== undefined) args.push("--batch-size", config.batch);
    const env = { ...process.env, ...config.env };
    const p = config.taskset !== undefined ? spawn("taskset", ["-c", config.taskset, process.execPath, ...args], { stdio: ["ignore", "pipe", "inherit"], env }) : spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 180_000);
    p.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) res(JSON.parse(out.trim().split("\n").at(-1)));
      else rej(new Error(`${config.label} at ${threads} threads: exit ${code}`));
    });
  });
}

const samples = new Map();
const rounds = Number(values.rounds);
const loads = [loadavg()[0]];
for (let round = 0; round < rounds; round++) {
  loads.push(loadavg()[0]);
  // rotate the order every round so that no config always runs first or last
  const order = configs.map((_, i) => configs[(i + round) % configs.length]);
  if (round % 2 === 1) order.reverse();
  for (const threads of threadCounts) {
    for (const config of order) {
      const m = await measure(config, threads);
      const key = `${config.label}|${threads}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(m);
      say(`  round ${round + 1} (load ${loadavg()[0].toFixed(1)}) ${config.label} ${threads} thread(s): ${m.ms_per_token.toFixed(2)} ms/token, ${m.cpu_ms_per_token.toFixed(2)} CPU ms/token${m.prompt_ms !== undefined ? `, prompt ${m.prompt_ms.toFixed(0)} ms (CPU ${m.prompt_cpu_ms.toFixed(0)})` : ""}${m.after_prompt_cpu_ms_per_token !== undefined ? `, then ${m.after_prompt_cpu_ms_per_token.toFixed(2)} CPU ms/token` : ""}`);
    }
  }
}
loads.push(loadavg()[0]);
const stat = (label, threads, pick) => median(samples.get(`${label}|${threads}`).map(pick));
/** Median over rounds of base ms/token ÷ this config's (the tok/s ratio, paired within each round). */
const paired = (label, threads) => median(samples.get(`${label}|${threads}`).map((m, i) => samples.get(`${base}|${threads}`)[i].ms_per_token / m.ms_per_token));
const base = configs[0].label;
const withPrompt = Number(values["prompt-tokens"]) > 0;
const withAfter = withPrompt && Number(values["prompt-decode"]) > 0;
const lines = [
  `nlc-addon-decode: ${values["model-path"] ?? `${values.model} model`}, context of ${values.sequences} sequences × ${values.ctx} tokens, 1 stream of ${values.tokens} tokens greedy${withPrompt ? `, then a ${values["prompt-tokens"]}-token prompt to its first token${withAfter ? ` and ${values["prompt-decode"]} tokens after it` : ""}` : ""}, median of ${rounds} interleaved rounds (node-llama-cpp evaluate(), no worker, no thread calibration); "× ${base}" = the median's ratio to the first config; "tok/s × ${base}" = the median of the per-round tok/s ratios; load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
  "",
  `| threads | config | ms/token | tok/s × ${base} | CPU ms/token | CPU × ${base} |${withPrompt ? ` prompt ms | prompt CPU ms | prompt CPU × ${base} |` : ""}${withAfter ? ` after the prompt: CPU ms/token | CPU × ${base} |` : ""}`,
  `|---|---|---|---|---|---|${withPrompt ? "---|---|---|" : ""}${withAfter ? "---|---|" : ""}`,
  ...threadCounts.flatMap((t) =>
    configs.map((c) => {
      const cpu = stat(c.label, t, (m) => m.cpu_ms_per_token);
      const cells = [t, c.label, stat(c.label, t, (m) => m.ms_per_token).toFixed(2), paired(c.label, t).toFixed(2), cpu.toFixed(2), (cpu / stat(base, t, (m) => m.cpu_ms_per_token)).toFixed(2)];
      if (withPrompt) {
        const p = stat(c.label, t, (m) => m.prompt_ms);
        const pc = stat(c.label, t, (m) => m.prompt_cpu_ms);
        cells.push(p.toFixed(0), pc.toFixed(0), (pc / stat(base, t, (m) => m.prompt_cpu_ms)).toFixed(2));
      }
      if (withAfter) {
        const a = stat(c.label, t, (m) => m.after_prompt_cpu_ms_per_token);
        cells.push(a.toFixed(2), (a / stat(base, t, (m) => m.after_prompt_cpu_ms_per_token)).toFixed(2));
      }
      return `| ${cells.join(" | ")} |`;
    }),
  ),
];
console.log(lines.join("\n"));

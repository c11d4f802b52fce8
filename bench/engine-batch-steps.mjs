#!/usr/bin/env node
// How many sequences each decode step of the node-llama-cpp engine carries with concurrent streams,
// and what a step costs (docs/PERFORMANCE.md, "Four streams, one decode per step"). The engine
// (LlamaEngine, as the engine child runs it, without IPC) of one or more builds, each in a fresh
// process per round, interleaved, order flipped every round; 4 streams started together; the native
// llama.cpp build from the CI cache (native-addon-cache.mjs), UV_THREADPOOL_SIZE=1 as the engine child
// gets it on ≤ 2 cores. Per run: tokens per `llama_decode` (the addon's batch sizes), wall ms per
// step, decode ms per step, CPU ms per token (every thread of the process), aggregate tok/s.
// Counting the batches wraps the addon context's `initBatch` / `decodeBatch` (node-llama-cpp internals).
// The CPU per step is also split by thread (Linux /proc): the libuv pool thread, which runs llama_decode
// and the sampling, and the rest of the process (the JavaScript thread, V8's helpers). --llama-server
// adds llama.cpp's own server in the same rounds (same model, --parallel = streams, 1 thread, the same
// streams × tokens started together, its whole process's CPU per step): what one step costs without
// node-llama-cpp's JavaScript.
//   npx tsc -b && node bench/engine-batch-steps.mjs [--dist old/dist,dist] [--model medium|big] [--streams 4]
//     [--tokens 256] [--rounds 4] [--llama-server] [--json]
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { llamaServerArgs } from "../dist/worker-agent/engine/llama-server/llama-server-args.js";
import { benchWorkspace, freePort } from "./bench-processes.mjs";
import { ciLlamaServerBinary } from "./llama-server-cache.mjs";
import { ciNativeAddonDir } from "./native-addon-cache.mjs";

const { values } = parseArgs({
  options: {
    dist: { type: "string", default: "dist" },
    model: { type: "string", default: "medium" },
    streams: { type: "string", default: "4" },
    tokens: { type: "string", default: "256" },
    rounds: { type: "string", default: "4" },
    json: { type: "boolean", default: false },
    "llama-server": { type: "boolean", default: false },
    // Internal: one measurement in this process.
    child: { type: "string" },
    "model-path": { type: "string" },
    "addon-dir": { type: "string" },
  },
});

/** CPU ms of this process's threads, by role: the libuv pool thread(s) (llama_decode and sampling) and the rest; Linux only. */
function threadCpuMs() {
  const ticks = { pool: 0, rest: 0 };
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      try {
        const comm = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
        const fields = readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1].split(" ");
        ticks[comm === "libuv-worker" ? "pool" : "rest"] += Number(fields[11]) + Number(fields[12]);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    return undefined;
  }
  const msPerTick = 1000 / 100; // USER_HZ
  return { pool: ticks.pool * msPerTick, rest: ticks.rest * msPerTick };
}

if (values.child !== undefined) {
  const { LlamaEngine } = await import(join(values.child, "worker-agent/engine/llama-engine.js"));
  const dir = values["addon-dir"];
  let tokens = 0;
  const done = new Map();
  const count = (m) => {
    if (m.type === "token") tokens++;
    else if (m.type === "tokens") tokens += m.tokens.length;
    else if (m.type === "done" || m.type === "task_failed") done.get(m.task_id)?.(m);
  };
  const engine = new LlamaEngine(count, 4);
  const info = JSON.parse(readFileSync(join(dir, "build-info.json"), "utf8"));
  await engine.load({ type: "load", model_path: values["model-path"], context_size: 4096, slots: 4, threads: 1, device: "cpu", native_addon: { dir, info } });
  const ctx = engine.loaded.context._ctx;
  const sizes = [];
  let decodeMs = 0;
  const initBatch = ctx.initBatch.bind(ctx);
  const decodeBatch = ctx.decodeBatch.bind(ctx);
  Object.defineProperty(ctx, "initBatch", { value: (n) => (sizes.push(n), initBatch(n)) });
  Object.defineProperty(ctx, "decodeBatch", {
    value: async () => {
      const t = performance.now();
      try {
        return await decodeBatch();
      } finally {
        decodeMs += performance.now() - t;
      }
    },
  });
  const streams = Number(values.streams);
  const threads0 = threadCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ends = [];
  for (let i = 0; i < streams; i++) {
    const id = `t${i}`;
    ends.push(new Promise((r) => done.set(id, r)));
    void engine.infer({ type: "infer", task_id: id, prompt: `Stream ${i} ${Math.random()}: the cat sat on the mat.`, max_tokens: Number(values.tokens), temperature: 0 });
  }
  const results = await Promise.all(ends);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const threads1 = threadCpuMs();
  // Steps after the prompts: the generated tokens' batches.
  const steps = sizes.slice(1);
  console.log(JSON.stringify({
    failed: results.filter((r) => r.type !== "done").length,
    tokens,
    steps: sizes.length,
    tokens_per_step: steps.reduce((a, n) => a + n, 0) / Math.max(1, steps.length),
    ms_per_step: wall / sizes.length,
    decode_ms_per_step: decodeMs / sizes.length,
    cpu_ms_per_token: (cpu.user + cpu.system) / 1000 / tokens,
    cpu_ms_per_step: (cpu.user + cpu.system) / 1000 / sizes.length,
    // Split by thread (ticks of 10 ms: meaningful over a run of a few seconds).
    pool_cpu_ms_per_step: threads0 && threads1 ? (threads1.pool - threads0.pool) / sizes.length : null,
    js_cpu_ms_per_step: threads0 && threads1 ? (threads1.rest - threads0.rest) / sizes.length : null,
    tps: tokens / (wall / 1000),
  }));
  process.exit(0);
}

const dists = values.dist.split(",").map((d) => resolve(d));
const rounds = Number(values.rounds);
const ws = benchWorkspace("llorch-batch-steps-");
const modelPath = await ws.model(`bench-${values.model}`, values.model, 4096);
const addonDir = await ciNativeAddonDir();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const say = (line) => process.stderr.write(`${line}\n`);

function measure(dist) {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [new URL(import.meta.url).pathname, "--child", dist, "--model-path", modelPath, "--addon-dir", addonDir, "--streams", values.streams, "--tokens", values.tokens], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, UV_THREADPOOL_SIZE: "1" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.once("exit", (code) => (code === 0 ? res(JSON.parse(out.trim().split("\n").at(-1))) : rej(new Error(`measurement exited with ${code}`))));
  });
}

/** llama.cpp's own server on the same model: --parallel = streams, one thread, the context per slot the engine has. */
async function startLlamaServer() {
  const binary = await ciLlamaServerBinary();
  if (!existsSync(binary)) {
    say(`engine-batch-steps: no llama-server at ${binary}: its row is left out (build it with \`node dist/worker-agent/cli.js engine build --out ${dirname(binary)}\` or set LLORCH_LLAMA_SERVER)`);
    return undefined;
  }
  const port = await freePort();
  const child = ws.track(spawn(binary, llamaServerArgs({ type: "load", model_path: modelPath, slots: Number(values.streams), threads: 1, device: "cpu" }, 4096, port), { stdio: "ignore" }));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return { url, pid: child.pid };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("llama-server did not become healthy");
}

/** CPU ms of a whole process so far (utime + stime, USER_HZ = 100). */
function processCpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The same streams × tokens on llama-server, started together; one step per generated token of a stream. */
async function measureLlamaServer(server) {
  const streams = Number(values.streams);
  const tokens = Number(values.tokens);
  const cpu0 = processCpuMs(server.pid);
  const t0 = performance.now();
  const answers = await Promise.all(Array.from({ length: streams }, async (_, i) => {
    const res = await fetch(`${server.url}/completion`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: `Stream ${i} ${Math.random()}: the cat sat on the mat.`, n_predict: tokens, ignore_eos: true, temperature: 0, cache_prompt: false }) });
    if (!res.ok) throw new Error(`llama-server answered ${res.status}: ${await res.text()}`);
    return await res.json();
  }));
  const wall = performance.now() - t0;
  const cpu = processCpuMs(server.pid) - cpu0;
  const generated = answers.reduce((sum, a) => sum + Number(a.tokens_predicted ?? 0), 0);
  const steps = tokens + 1; // one prompt step, then one per token of each stream
  return { failed: 0, tokens: generated, steps, tokens_per_step: generated / tokens, ms_per_step: wall / steps, decode_ms_per_step: null, cpu_ms_per_token: cpu / generated, cpu_ms_per_step: cpu / steps, pool_cpu_ms_per_step: null, js_cpu_ms_per_step: null, tps: generated / (wall / 1000) };
}

const server = values["llama-server"] ? await startLlamaServer() : undefined;
const systems = [...dists.map((dist) => ({ name: dist, run: () => measure(dist) })), ...(server !== undefined ? [{ name: "llama-server", run: () => measureLlamaServer(server) }] : [])];
const samples = systems.map(() => []);
for (let round = 0; round < rounds; round++) {
  const order = systems.map((_, i) => i);
  if (round % 2 === 1) order.reverse();
  for (const i of order) {
    const m = await systems[i].run();
    samples[i].push(m);
    say(`round ${round + 1} ${systems[i].name}: ${m.tokens_per_step.toFixed(2)} tokens/step, ${m.ms_per_step.toFixed(2)} ms/step, CPU ${m.cpu_ms_per_step.toFixed(2)} ms/step${m.pool_cpu_ms_per_step !== null ? ` (pool thread ${m.pool_cpu_ms_per_step.toFixed(2)}, rest ${m.js_cpu_ms_per_step.toFixed(2)})` : ""}, ${m.tps.toFixed(0)} tok/s`);
  }
}
const lines = [
  `engine-batch-steps: ${values.model} model, ${values.streams} streams × ${values.tokens} tokens started together, 1 thread, native build; medians of ${rounds} interleaved rounds; ratios per round against the first system`,
  "",
  "| system | tokens per decode step | ms per step | decode ms per step | CPU ms per step: all · pool thread · rest | CPU ms/token | tok/s | CPU ms/token ratio (lower in) | tok/s ratio (higher in) |",
  "|---|---|---|---|---|---|---|---|---|",
];
const fixed = (x, digits) => (x === null || x === undefined ? "—" : x.toFixed(digits));
for (const [i, system] of systems.entries()) {
  const s = samples[i];
  const vs = (f) => s.map((m, r) => f(m) / f(samples[0][r]));
  const cell = (xs, better) => (i === 0 ? "—" : `${median(xs).toFixed(2)} (${xs.filter(better).length} of ${xs.length})`);
  const med = (f) => (s.some((m) => f(m) === null) ? null : median(s.map(f)));
  lines.push(
    `| ${system.name} | ${fixed(med((m) => m.tokens_per_step), 2)} | ${fixed(med((m) => m.ms_per_step), 2)} | ${fixed(med((m) => m.decode_ms_per_step), 2)} | ${fixed(med((m) => m.cpu_ms_per_step), 2)} · ${fixed(med((m) => m.pool_cpu_ms_per_step), 2)} · ${fixed(med((m) => m.js_cpu_ms_per_step), 2)} | ${fixed(med((m) => m.cpu_ms_per_token), 3)} | ${fixed(med((m) => m.tps), 0)} | ${cell(vs((m) => m.cpu_ms_per_token), (x) => x < 1)} | ${cell(vs((m) => m.tps), (x) => x > 1)} |`,
  );
}
say(lines.join("\n"));
console.log(values.json ? JSON.stringify({ samples, table: lines.join("\n") }) : lines.join("\n"));

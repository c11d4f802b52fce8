#!/usr/bin/env node
// How many sequences each decode step of the node-llama-cpp engine carries with concurrent streams,
// and what a step costs (docs/PERFORMANCE.md, "Four streams, one decode per step"). The engine
// (LlamaEngine, as the engine child runs it, without IPC) of one or more builds, each in a fresh
// process per round, interleaved, order flipped every round; 4 streams started together; the native
// llama.cpp build from the CI cache (native-addon-cache.mjs), UV_THREADPOOL_SIZE=1 as the engine child
// gets it on ≤ 2 cores. Per run: tokens per `llama_decode` (the addon's batch sizes), wall ms per
// step, decode ms per step, CPU ms per token (every thread of the process), aggregate tok/s.
// Counting the batches wraps the addon context's `initBatch` / `decodeBatch` (node-llama-cpp internals).
//   npx tsc -b && node bench/engine-batch-steps.mjs [--dist old/dist,dist] [--model medium|big] [--streams 4]
//     [--tokens 256] [--rounds 4] [--json]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { benchWorkspace } from "./bench-processes.mjs";
import { ciNativeAddonDir } from "./native-addon-cache.mjs";

const { values } = parseArgs({
  options: {
    dist: { type: "string", default: "dist" },
    model: { type: "string", default: "medium" },
    streams: { type: "string", default: "4" },
    tokens: { type: "string", default: "256" },
    rounds: { type: "string", default: "4" },
    json: { type: "boolean", default: false },
    // Internal: one measurement in this process.
    child: { type: "string" },
    "model-path": { type: "string" },
    "addon-dir": { type: "string" },
  },
});

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

const samples = dists.map(() => []);
for (let round = 0; round < rounds; round++) {
  const order = dists.map((_, i) => i);
  if (round % 2 === 1) order.reverse();
  for (const i of order) {
    const m = await measure(dists[i]);
    samples[i].push(m);
    say(`round ${round + 1} ${dists[i]}: ${m.tokens_per_step.toFixed(2)} tokens/step, ${m.ms_per_step.toFixed(2)} ms/step, CPU ${m.cpu_ms_per_token.toFixed(3)} ms/token, ${m.tps.toFixed(0)} tok/s`);
  }
}
const lines = [
  `engine-batch-steps: ${values.model} model, ${values.streams} streams × ${values.tokens} tokens started together, 1 thread, native build; medians of ${rounds} interleaved rounds; ratios per round against the first build`,
  "",
  "| build | tokens per decode step | ms per step | decode ms per step | CPU ms/token | tok/s | CPU ms/token ratio (lower in) | tok/s ratio (higher in) |",
  "|---|---|---|---|---|---|---|---|",
];
for (const [i, dist] of dists.entries()) {
  const s = samples[i];
  const vs = (f) => s.map((m, r) => f(m) / f(samples[0][r]));
  const cell = (xs, better) => (i === 0 ? "—" : `${median(xs).toFixed(2)} (${xs.filter(better).length} of ${xs.length})`);
  lines.push(
    `| ${dist} | ${median(s.map((m) => m.tokens_per_step)).toFixed(2)} | ${median(s.map((m) => m.ms_per_step)).toFixed(2)} | ${median(s.map((m) => m.decode_ms_per_step)).toFixed(2)} | ${median(s.map((m) => m.cpu_ms_per_token)).toFixed(3)} | ${median(s.map((m) => m.tps)).toFixed(0)} | ${cell(vs((m) => m.cpu_ms_per_token), (x) => x < 1)} | ${cell(vs((m) => m.tps), (x) => x > 1)} |`,
  );
}
say(lines.join("\n"));
console.log(values.json ? JSON.stringify({ samples, table: lines.join("\n") }) : lines.join("\n"));

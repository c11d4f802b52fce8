#!/usr/bin/env node
// node-llama-cpp's own decode speed on its prebuilt llama.cpp binary vs the native build (`engine build
// --engine node-llama-cpp`), without the worker around it and without thread calibration: one
// sequence, greedy, `--tokens` tokens per measurement, at each thread count, in interleaved rounds, each
// measurement in a fresh child process (both builds name their libraries libllama.v<tag>.so, so they
// cannot share a process). Reports wall ms/token and CPU ms/token (the child's user+system time, all
// threads) as medians; compare ratios within one run.
//   npx tsc -b && node bench/nlc-addon-decode.mjs [--model medium] [--threads 1,2] [--rounds 5] [--tokens 256]
//     [--sequences 4] [--ctx 4096] [--addon-dir <dir>]
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { benchWorkspace } from "./bench-processes.mjs";
import { ciNativeAddonDir } from "./native-addon-cache.mjs";

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
    // internal: one measurement in this process
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
  if (values.child === "native") {
    const { loadNativeLlama } = await import("../dist/worker-agent/engine/native-addon/load-native-addon.js");
    const { readNativeAddon } = await import("../dist/worker-agent/engine/native-addon/native-addon-info.js");
    const read = readNativeAddon(values["addon-dir"]);
    if (read.state !== "present") throw new Error(`no native build in ${values["addon-dir"]}`);
    llama = await loadNativeLlama(values["addon-dir"], read.info, threads, LlamaLogLevel.warn);
  } else {
    llama = await getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: LlamaLogLevel.warn });
  }
  const model = await llama.loadModel({ modelPath: values["model-path"], gpuLayers: 0 });
  const context = await model.createContext({ contextSize: Number(values.ctx), sequences: Number(values.sequences), threads });
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
  await run(16); // warm-up
  console.log(JSON.stringify({ addon: values.child, threads, build: llama.buildType, ...(await run(tokens)) }));
  await llama.dispose();
  process.exit(0);
}

const ws = benchWorkspace("llorch-nlc-addon-");
const modelPath = await ws.model(`bench-${values.model}`, values.model, 4096);
const addonDir = values["addon-dir"] ?? (await ciNativeAddonDir());
const threadCounts = values.threads.split(",").map(Number);

function measure(addon, threads) {
  return new Promise((res, rej) => {
    const args = [new URL(import.meta.url).pathname, "--child", addon, "--threads", String(threads), "--tokens", values.tokens, "--sequences", values.sequences, "--ctx", values.ctx, "--model-path", modelPath, "--addon-dir", addonDir];
    const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 180_000);
    p.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) res(JSON.parse(out.trim().split("\n").at(-1)));
      else rej(new Error(`${addon} at ${threads} threads: exit ${code}`));
    });
  });
}

const samples = new Map();
const rounds = Number(values.rounds);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ["prebuilt", "native"] : ["native", "prebuilt"];
  for (const threads of threadCounts) {
    for (const addon of order) {
      const m = await measure(addon, threads);
      const key = `${addon}|${threads}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(m);
      say(`  round ${round + 1} ${addon} ${threads} thread(s): ${m.ms_per_token.toFixed(2)} ms/token, ${m.cpu_ms_per_token.toFixed(2)} CPU ms/token`);
    }
  }
}
const row = (addon, threads) => {
  const ms = samples.get(`${addon}|${threads}`);
  return { ms: median(ms.map((m) => m.ms_per_token)), cpu: median(ms.map((m) => m.cpu_ms_per_token)) };
};
const lines = [
  `nlc-addon-decode: ${values.model} model, context of ${values.sequences} sequences × ${values.ctx} tokens, 1 stream of ${values.tokens} tokens greedy, median of ${rounds} interleaved rounds (node-llama-cpp evaluate(), no worker, no thread calibration)`,
  "",
  "| threads | prebuilt ms/token | native ms/token | native / prebuilt | prebuilt CPU ms/token | native CPU ms/token | native / prebuilt |",
  "|---|---|---|---|---|---|---|",
  ...threadCounts.map((t) => {
    const p = row("prebuilt", t);
    const n = row("native", t);
    return `| ${t} | ${p.ms.toFixed(2)} | ${n.ms.toFixed(2)} | ${(n.ms / p.ms).toFixed(2)} | ${p.cpu.toFixed(2)} | ${n.cpu.toFixed(2)} | ${(n.cpu / p.cpu).toFixed(2)} |`;
  }),
];
console.log(lines.join("\n"));

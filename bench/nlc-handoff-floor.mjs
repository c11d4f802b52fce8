#!/usr/bin/env node
// How much of node-llama-cpp's per-token time is its own JS and thread-pool hand-offs, and what a
// change inside its addon could win (docs/PERFORMANCE.md, "Per-token cost of the node-llama-cpp
// engine"). One process, one sequence, no IPC or HTTP; ms per generated token, medians of interleaved
// rounds, with the process's CPU (cores busy) beside it:
//   completion   LlamaCompletion as the engine drives it (repeatPenalty: false, as llama-engine.ts)
//   completion+rp  the same with node-llama-cpp's default repeatPenalty ({}: no effect on logits)
//   evaluate     the raw public sequence.evaluate() loop
//   addon        the addon's own calls, with node-llama-cpp's JS around them left out: initBatch,
//                addToBatch, decodeBatch (hand-off 1), sampleToken (hand-off 2) per token
//   decode-only  the addon's decode alone, the next token fixed (one hand-off; no sampling)
// `addon` and `decode-only` use node-llama-cpp internals (`context._ctx`, `llama._bindings`), so this
// bench is tied to the pinned node-llama-cpp version, as load-native-addon.ts is.
//   npx tsc -b && node bench/nlc-handoff-floor.mjs --model <gguf> [--addon prebuilt|native] [--addon-dir <dir>]
//     [--tokens 512] [--rounds 3] [--json]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { loadNativeLlama } from "../dist/worker-agent/engine/native-addon/load-native-addon.js";
import { ciNativeAddonDir } from "./native-addon-cache.mjs";
import { completionMsPerToken, evaluateMsPerToken } from "./nlc-evaluate-timing.mjs";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    addon: { type: "string", default: "prebuilt" },
    "addon-dir": { type: "string" },
    tokens: { type: "string", default: "512" },
    rounds: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
  },
});
if (values.model === undefined) throw new Error("--model <gguf> is required");
const tokens = Number(values.tokens);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function openLlama() {
  if (values.addon === "prebuilt") return getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
  const dir = values["addon-dir"] ?? (await ciNativeAddonDir());
  return loadNativeLlama(dir, JSON.parse(readFileSync(join(dir, "build-info.json"), "utf8")), 1, LlamaLogLevel.error);
}
const llama = await openLlama();
const model = await llama.loadModel({ modelPath: values.model, gpuLayers: 0 });
// The worker's context shape: 4 sequences, 4096 tokens, 1 thread.
const context = await model.createContext({ contextSize: 4096, sequences: 4, threads: 1 });
const prompt = "Profile: the cat sat on the mat.";

const completion = (extra) => completionMsPerToken(context, prompt, tokens, { seed: 0, ...extra });
const evaluate = () => evaluateMsPerToken(context, model, prompt, tokens);

async function addon(sample) {
  const ctx = context._ctx;
  const sampler = new llama._bindings.AddonSampler(model._model);
  sampler.applyConfig({ temperature: 0, topK: 40, topP: 0.95, minP: 0, seed: 0 });
  // A sequence id node-llama-cpp is not using: every case above disposes its sequence when done.
  const sequenceId = 3;
  ctx.disposeSequence(sequenceId);
  const input = model.tokenize(prompt);
  ctx.initBatch(input.length);
  let logitIndexes = ctx.addToBatch(sequenceId, 0, Uint32Array.from(input), Uint32Array.from([input.length - 1]));
  await ctx.decodeBatch();
  let position = input.length;
  let token = await ctx.sampleToken(logitIndexes[0], sampler);
  const first = performance.now();
  for (let n = 1; n < tokens; n++) {
    ctx.initBatch(1);
    logitIndexes = ctx.addToBatch(sequenceId, position++, Uint32Array.from([token]), Uint32Array.from([0]));
    await ctx.decodeBatch();
    if (sample) token = await ctx.sampleToken(logitIndexes[0], sampler);
  }
  const ms = (performance.now() - first) / (tokens - 1);
  ctx.disposeSequence(sequenceId);
  sampler.dispose();
  return ms;
}

const cases = {
  completion: () => completion({ repeatPenalty: false }),
  "completion+rp": () => completion({}),
  evaluate,
  addon: () => addon(true),
  "decode-only": () => addon(false),
};
await evaluate(); // first touch of the weights
const ms = {};
const cores = {};
for (let round = 0; round < Number(values.rounds); round++) {
  const order = round % 2 === 0 ? Object.entries(cases) : Object.entries(cases).reverse();
  for (const [name, run] of order) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    (ms[name] ??= []).push(await run());
    const used = process.cpuUsage(cpu);
    (cores[name] ??= []).push((used.user + used.system) / 1000 / (performance.now() - started));
  }
}
const result = Object.keys(cases).map((name) => ({ case: name, ms_per_token: median(ms[name]), cores: median(cores[name]) }));
const lines = [
  `nlc-handoff-floor: ${values.addon} build, 1 thread, 1 sequence of a 4 × 4096 context, ${tokens} tokens; medians of ${values.rounds} interleaved rounds`,
  "",
  "| case | ms/token | cores busy |",
  "|---|---|---|",
  ...result.map((r) => `| ${r.case} | ${r.ms_per_token.toFixed(3)} | ${r.cores.toFixed(2)} |`),
];
if (values.json) console.log(JSON.stringify({ addon: values.addon, result }));
else console.log(lines.join("\n"));
await llama.dispose();

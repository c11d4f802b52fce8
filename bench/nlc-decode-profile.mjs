#!/usr/bin/env node
// node-llama-cpp alone, in one process, no IPC and no HTTP: decode ms per token (a) through the raw
// sequence.evaluate() loop (native decode + sampling + node-llama-cpp's minimal per-step JS) and (b)
// through LlamaCompletion (what the worker's engine uses: detokenising, stop triggers, text chunks).
// engine-vs-llama-server.mjs runs it per case to split the worker's per-token cost into decode, the
// library's JS and the worker's IPC/HTTP/SSE.
//   node bench/nlc-decode-profile.mjs --model <gguf> --threads 1 --tokens 512
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { completionMsPerToken, evaluateMsPerToken } from "./nlc-evaluate-timing.mjs";

const { values } = parseArgs({ options: { model: { type: "string" }, threads: { type: "string", default: "1" }, tokens: { type: "string", default: "512" }, ctx: { type: "string", default: "4096" }, slots: { type: "string", default: "4" } } });
const threads = Number(values.threads);
const tokens = Number(values.tokens);
const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: values.model, gpuLayers: 0 });
const context = await model.createContext({ contextSize: Number(values.ctx), sequences: Number(values.slots), threads });

const raw = (prompt) => evaluateMsPerToken(context, model, prompt, tokens);

const completion = (prompt) => completionMsPerToken(context, prompt, tokens);

await raw("warm up the cat"); // first touch of the weights
const r = await raw("Profile: the cat sat on the mat.");
const c = await completion("Profile: the cat sat on the mat.");
console.log(JSON.stringify({ threads, raw_ms_per_token: r, completion_ms_per_token: c }));
await llama.dispose();

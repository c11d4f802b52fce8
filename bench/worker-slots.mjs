#!/usr/bin/env node
// Throughput of one worker agent per slot count, measured through its HTTP API (SSE infer) on the
// generated medium model: pools with 1, 2 and 4 slots, each driven by as many concurrent streams.
// The 1-slot run is the baseline; ratios are aggregate tokens/s relative to it.
//   npx tsc -b && node bench/worker-slots.mjs [--tokens 400] [--rounds 3]
// Needs test-support/.models/medium.gguf (created by `npm test`'s global setup or `npm run make-model`).
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readSseEvents } from "../dist/src-shared/streaming/read-sse.js";

const { values } = parseArgs({ options: { tokens: { type: "string", default: "400" }, rounds: { type: "string", default: "3" } } });
const maxTokens = Number(values.tokens);
const rounds = Number(values.rounds);
const token = "bench-token-0123456789abcdef0123456789";
const root = mkdtempSync(join(tmpdir(), "llorch-bench-"));
mkdirSync(join(root, "models"));
copyFileSync(new URL("../test-support/.models/medium.gguf", import.meta.url), join(root, "models", "medium.gguf"));
const slotCounts = [1, 2, 4];
writeFileSync(
  join(root, "worker.json"),
  JSON.stringify({
    bind_addr: "127.0.0.1:0",
    models_dir: join(root, "models"),
    data_dir: join(root, "data"),
    runtime_dir: join(root, "engines"),
    log_level: "warn",
    pools: slotCounts.map((n) => ({ id: `m${n}`, model: "medium.gguf", device: "cpu", slots: n, context_size: 1024 })),
  }),
);

const child = spawn(process.execPath, ["dist/worker-agent/cli.js", "start", "--config", join(root, "worker.json"), "--log-level", "info"], {
  env: { ...process.env, LLORCH_API_TOKEN: token },
  stdio: ["ignore", "pipe", "inherit"],
});
const cleanup = () => {
  try {
    process.kill(child.pid, "SIGKILL");
  } catch {}
  rmSync(root, { recursive: true, force: true });
};
process.on("exit", cleanup);

const url = await new Promise((resolve, reject) => {
  let buf = "";
  const timer = setTimeout(() => reject(new Error("agent did not start")), 30_000);
  child.stdout.on("data", (c) => {
    buf += c;
    const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(buf);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
});
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
for (let i = 0; i < 200; i++) {
  const pools = await (await fetch(`${url}/v2/pools`, { headers })).json();
  if (pools.pools.every((p) => p.ready)) break;
  await new Promise((r) => setTimeout(r, 100));
}

async function stream(pool, taskId) {
  const res = await fetch(`${url}/v2/pools/${pool}/infer`, { method: "POST", headers, body: JSON.stringify({ task_id: taskId, prompt: `Benchmark ${taskId}: the cat sat on the mat.`, max_tokens: maxTokens }) });
  let first = 0;
  let tokens = 0;
  let last = 0;
  for await (const ev of readSseEvents(res.body)) {
    if (ev.event === "token") {
      tokens++;
      last = performance.now();
      if (first === 0) first = last;
    }
    if (ev.event === "error") throw new Error(JSON.stringify(ev.data));
  }
  return { first, last, tokens };
}

const results = [];
for (const n of slotCounts) {
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    const t0 = performance.now();
    const runs = await Promise.all(Array.from({ length: n }, (_, i) => stream(`m${n}`, `b-${n}-${round}-${i}`)));
    const elapsed = (Math.max(...runs.map((r) => r.last)) - t0) / 1000;
    const total = runs.reduce((a, r) => a + r.tokens, 0);
    samples.push({ aggregate: total / elapsed, perStream: runs.map((r) => r.tokens / ((r.last - r.first) / 1000)) });
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  results.push({ slots: n, aggregate: median(samples.map((s) => s.aggregate)), perStream: median(samples.flatMap((s) => s.perStream)) });
}
const baseline = results[0].aggregate;
console.log(`worker-slots: medium model, ${maxTokens} tokens per stream, median of ${rounds} rounds, via HTTP/SSE`);
console.log("slots/streams  aggregate tok/s  per-stream tok/s  ratio vs 1 slot");
for (const r of results) console.log(`${String(r.slots).padStart(13)}  ${r.aggregate.toFixed(0).padStart(15)}  ${r.perStream.toFixed(0).padStart(16)}  ${(r.aggregate / baseline).toFixed(2).padStart(15)}`);
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));

#!/usr/bin/env node
// Router overhead: the same short completion sent straight to a worker agent (baseline) and through
// the orchestrator (admission → placement → proxied stream), interleaved in one run on one tiny model.
// Reports p50/p95 latency of each path, the ratio orchestrator/direct and the added milliseconds.
//   npm run build && node bench/router-overhead.mjs [--requests 100] [--tokens 4] [--short] [--json]
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SseParser, parseSseEvent } from "../dist/src-shared/streaming/sse-codec.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "100" }, tokens: { type: "string", default: "4" }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const requests = values.short ? 10 : Number(values.requests);
const maxTokens = Number(values.tokens);
const token = "bench-token-0123456789abcdef0123456789abcd";
const root = mkdtempSync(join(tmpdir(), "llorch-bench-router-"));
const children = [];
const cleanup = () => {
  for (const c of children) {
    try {
      process.kill(c.pid, "SIGKILL");
    } catch {}
  }
  rmSync(root, { recursive: true, force: true });
};
process.on("exit", cleanup);

function run(args, env, match) {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: root, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start:\n${buf}`)), 30_000);
    const onData = (c) => {
      buf += c;
      const m = match(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${args[0]} exited ${code}:\n${buf}`)));
  });
}

mkdirSync(join(root, "models"));
await new Promise((resolve, reject) => {
  const p = spawn(process.execPath, ["dist/scripts/make-model.js", join(root, "models", "tiny.gguf"), "--size", "tiny", "--name", "bench-tiny"], { stdio: "ignore" });
  p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error("make-model failed"))));
});
const orchUrl = await run(["dist/src-main/headless/cli.js", "--bind", "127.0.0.1:0", "--data-dir", join(root, "orch")], { LLORCH_API_TOKEN: token, LLORCH_LOG_LEVEL: "warn" }, (b) => /Dashboard:\s+(http:\/\/[\d.:]+)/.exec(b)?.[1]);
const workerUrl = await run(["dist/worker-agent/cli.js", "start"], {
  LLORCH_API_TOKEN: token,
  ORCHESTRATORD_URL: orchUrl,
  POOL_MANAGERD_NODE_ID: "bench",
  POOL_MANAGERD_BIND_ADDR: "127.0.0.1:0",
  POOL_MANAGERD_MODELS_DIR: join(root, "models"),
  POOL_MANAGERD_RUNTIME_DIR: join(root, "runtime"),
  POOL_MANAGERD_DATA_DIR: join(root, "wdata"),
  POOL_MANAGERD_AUTO_POOL_SLOTS: "1",
  LLORCH_LOG_LEVEL: "info",
}, (b) => /"msg":"listening".*?"address":"(http:\/\/[\d.:]+)"/.exec(b)?.[1] ?? /"address":"(http:\/\/[\d.:]+)".*?"msg":"listening"/.exec(b)?.[1]);

const auth = { authorization: `Bearer ${token}` };
let poolId;
for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
  const nodes = await (await fetch(`${orchUrl}/v2/nodes`, { headers: auth })).json();
  const pool = nodes.nodes[0]?.pools.find((p) => p.ready);
  if (pool) {
    poolId = pool.pool_id;
    break;
  }
}
if (!poolId) throw new Error("pool never became ready");

let seq = 0;
async function direct() {
  const t0 = performance.now();
  const res = await fetch(`${workerUrl}/v2/pools/${poolId}/infer`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ task_id: `bench-${seq++}`, prompt: "Hello world", max_tokens: maxTokens, temperature: 0 }) });
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let tokens = 0;
  outer: for await (const chunk of res.body) {
    for (const frame of parser.feed(decoder.decode(chunk, { stream: true }))) {
      const ev = parseSseEvent(frame);
      if (ev.ok && ev.event.event === "token") tokens++;
      if (ev.ok && (ev.event.event === "end" || ev.event.event === "error")) break outer;
    }
  }
  if (tokens !== maxTokens) throw new Error(`direct: ${tokens} tokens`);
  return performance.now() - t0;
}
async function viaOrchestrator() {
  const t0 = performance.now();
  const res = await fetch(`${orchUrl}/v1/completions`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ model: "bench-tiny", prompt: "Hello world", max_tokens: maxTokens, temperature: 0 }) });
  const body = await res.json();
  if (body.usage?.completion_tokens !== maxTokens) throw new Error(`orchestrator: ${JSON.stringify(body)}`);
  return performance.now() - t0;
}

for (let i = 0; i < 5; i++) {
  await direct();
  await viaOrchestrator();
}
const d = [];
const o = [];
for (let i = 0; i < requests; i++) {
  // Alternate the order so drift on a busy machine hits both paths alike.
  if (i % 2 === 0) {
    d.push(await direct());
    o.push(await viaOrchestrator());
  } else {
    o.push(await viaOrchestrator());
    d.push(await direct());
  }
}
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const result = {
  bench: "router-overhead",
  requests,
  max_tokens: maxTokens,
  direct_ms: { p50: round(pct(d, 0.5)), p95: round(pct(d, 0.95)) },
  orchestrator_ms: { p50: round(pct(o, 0.5)), p95: round(pct(o, 0.95)) },
  ratio_p50: round(pct(o, 0.5) / pct(d, 0.5)),
  ratio_p95: round(pct(o, 0.95) / pct(d, 0.95)),
  added_ms_p50: round(pct(o, 0.5) - pct(d, 0.5)),
};
function round(x) {
  return Math.round(x * 100) / 100;
}
if (values.json) console.log(JSON.stringify(result));
else console.log(`router overhead (${requests} requests, ${maxTokens} tokens): direct p50 ${result.direct_ms.p50} ms / p95 ${result.direct_ms.p95} ms; via orchestrator p50 ${result.orchestrator_ms.p50} ms / p95 ${result.orchestrator_ms.p95} ms; ratio p50 ${result.ratio_p50}×, p95 ${result.ratio_p95}×; added ${result.added_ms_p50} ms at p50`);
process.exit(0);

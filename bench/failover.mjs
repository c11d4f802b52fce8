#!/usr/bin/env node
// Failover under load: closed-loop clients stream completions through the orchestrator to two
// workers. Phase 1 (baseline) runs undisturbed; phase 2 kills one worker (SIGKILL) a second in.
// Reports requests/s and success rate of each phase, the ratio phase 2 / baseline, how many requests
// were lost (WORKER_RESET after their first token — by design, never silently) and the longest gap
// without a completed request around the kill.
//   npm run build && node bench/failover.mjs [--seconds 5] [--clients 4] [--short] [--json]
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, clients: { type: "string", default: "4" }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const seconds = values.short ? 2 : Number(values.seconds);
const clients = Number(values.clients);
const token = "bench-token-0123456789abcdef0123456789abcd";
const root = mkdtempSync(join(tmpdir(), "llorch-bench-failover-"));
const children = [];
process.on("exit", () => {
  for (const c of children) {
    try {
      process.kill(c.pid, "SIGKILL");
    } catch {}
  }
  rmSync(root, { recursive: true, force: true });
});

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
        resolve({ child, value: m });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
  });
}

await new Promise((resolve, reject) => {
  mkdirSync(join(root, "models"));
  const p = spawn(process.execPath, ["dist/scripts/make-model.js", join(root, "models", "tiny.gguf"), "--size", "tiny", "--name", "bench-tiny"], { stdio: "ignore" });
  p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error("make-model failed"))));
});
const { value: orchUrl } = await run(["dist/src-main/headless/cli.js", "--bind", "127.0.0.1:0", "--data-dir", join(root, "orch")], { LLORCH_API_TOKEN: token, LLORCH_LOG_LEVEL: "warn" }, (b) => /Dashboard:\s+(http:\/\/[\d.:]+)/.exec(b)?.[1]);
const workers = {};
for (const node of ["a", "b"]) {
  const { child } = await run(["dist/worker-agent/cli.js", "start"], {
    LLORCH_API_TOKEN: token, ORCHESTRATORD_URL: orchUrl, POOL_MANAGERD_NODE_ID: `node-${node}`, POOL_MANAGERD_BIND_ADDR: "127.0.0.1:0",
    POOL_MANAGERD_MODELS_DIR: join(root, "models"), POOL_MANAGERD_RUNTIME_DIR: join(root, `rt-${node}`), POOL_MANAGERD_DATA_DIR: join(root, `data-${node}`),
    POOL_MANAGERD_AUTO_POOL_SLOTS: "2", LLORCH_LOG_LEVEL: "info",
  }, (b) => /"msg":"listening"/.test(b));
  workers[node] = child;
}
const auth = { authorization: `Bearer ${token}` };
for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
  const nodes = (await (await fetch(`${orchUrl}/v2/nodes`, { headers: auth })).json()).nodes;
  if (nodes.filter((n) => n.status === "Online" && n.pools.some((p) => p.ready)).length === 2) break;
}

/** One streamed completion; resolves with its outcome. */
async function request() {
  const t0 = performance.now();
  try {
    const res = await fetch(`${orchUrl}/v1/completions`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ model: "bench-tiny", prompt: "Hello", max_tokens: 64, stream: true }) });
    if (res.status !== 200) return { ok: false, kind: `http ${res.status}`, t0, t1: performance.now() };
    const text = await res.text();
    if (text.includes('"error"')) return { ok: false, kind: /"code":"(\w+)"/.exec(text)?.[1] ?? "error", t0, t1: performance.now() };
    return { ok: text.includes("[DONE]"), kind: "ok", t0, t1: performance.now() };
  } catch (err) {
    return { ok: false, kind: `client: ${err.message}`, t0, t1: performance.now() };
  }
}

async function phase(kill) {
  const results = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  let killedAt = null;
  if (kill) {
    setTimeout(() => {
      killedAt = performance.now();
      process.kill(workers.b.pid, "SIGKILL");
    }, Math.min(1000, (seconds * 1000) / 3));
  }
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) results.push(await request());
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const ok = results.filter((r) => r.ok);
  const done = ok.map((r) => r.t1).sort((a, b) => a - b);
  let longestGap = 0;
  if (killedAt !== null) {
    const around = [killedAt, ...done.filter((t) => t >= killedAt)];
    for (let i = 1; i < around.length; i++) longestGap = Math.max(longestGap, around[i] - around[i - 1]);
  }
  const errors = {};
  for (const r of results.filter((r) => !r.ok)) errors[r.kind] = (errors[r.kind] ?? 0) + 1;
  return { requests: results.length, ok: ok.length, req_per_s: Math.round((ok.length / elapsed) * 10) / 10, success_rate: Math.round((ok.length / results.length) * 1000) / 1000, errors, longest_gap_after_kill_ms: killedAt === null ? null : Math.round(longestGap) };
}

const baseline = await phase(false);
const failover = await phase(true);
const result = {
  bench: "failover",
  seconds,
  clients,
  baseline,
  failover,
  throughput_ratio: Math.round((failover.req_per_s / baseline.req_per_s) * 100) / 100,
  lost_requests: failover.requests - failover.ok,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`failover (${clients} clients, ${seconds} s per phase, 64-token streams, 2 nodes × 2 slots, node-b SIGKILLed):`);
  console.log(`  baseline: ${baseline.req_per_s} req/s, success ${baseline.success_rate}`);
  console.log(`  failover: ${failover.req_per_s} req/s, success ${failover.success_rate}, lost ${result.lost_requests} ${JSON.stringify(failover.errors)}, longest gap after the kill ${failover.longest_gap_after_kill_ms} ms`);
  console.log(`  throughput ratio failover/baseline: ${result.throughput_ratio}×`);
}
process.exit(0);

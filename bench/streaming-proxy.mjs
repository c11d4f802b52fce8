#!/usr/bin/env node
// Streaming proxy cost: 50 concurrent closed-loop streams of paced tokens (a simulated node in its own
// process writes one token frame per stream every --interval ms), read straight from the node
// (baseline), through the orchestrator (POST /v2/tasks + GET /v2/tasks/{id}/events, and
// /v1/completions with stream: true), and through a bare HAProxy in front of the node when `haproxy`
// is installed (the cost of a plain L7 proxy). Rounds are interleaved; reports tokens/s of each path,
// its ratio to direct, and the inter-token gap p50/p99 (the added gap = through − direct).
//   npm run build && node bench/streaming-proxy.mjs [--streams 50] [--tokens 100] [--interval 10] [--seconds 5] [--rounds 3] [--cpu-prof <dir>] [--memory-every-round] [--short] [--json]
//   LLORCH_BENCH_ORCH_CLI=<other>/dist/src-main/headless/cli.js runs the orchestrator of another build (A/B).
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds, percentiles, rssMiB } from "./bench-processes.mjs";

const { values } = parseArgs({ options: { streams: { type: "string", default: "50" }, tokens: { type: "string", default: "100" }, interval: { type: "string", default: "10" }, seconds: { type: "string", default: "5" }, rounds: { type: "string", default: "3" }, "cpu-prof": { type: "string" }, "memory-every-round": { type: "boolean", default: false }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const streams = values.short ? 8 : Number(values.streams);
const maxTokens = values.short ? 20 : Number(values.tokens);
const intervalMs = Number(values.interval);
const seconds = values.short ? 1 : Number(values.seconds);
const rounds = values.short ? 1 : Number(values.rounds);
const token = "bench-token-0123456789abcdef0123456789abcd";
const ws = benchWorkspace("llorch-bench-streaming-");
// --expose-gc + the probe: the orchestrator's memoryUsage() after a full GC, on demand (bench/memory-probe.mjs).
const nodeArgs = ["--expose-gc", "--import", new URL("./memory-probe.mjs", import.meta.url).href, ...(values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]] : [])];
// MALLOC_ARENA_MAX passes through (glibc arenas: see docs/PERFORMANCE.md, memory over the streaming bench).
const orch = await ws.orchestratorProcess(token, { ORCHD_ADMISSION_CAPACITY: "10000", ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}) }, nodeArgs);
const probes = [];
orch.child.stderr.on("data", (b) => {
  for (const m of String(b).matchAll(/memory-probe (\{.*\})/g)) probes.shift()?.(JSON.parse(m[1]));
});
/** The orchestrator's process.memoryUsage() in MiB after a forced full GC (null if the probe does not answer in 10 s). */
function orchMemory() {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      probes.splice(probes.indexOf(answer), 1);
      resolve(null);
    }, 10_000);
    const answer = (m) => {
      clearTimeout(timer);
      resolve(m);
    };
    probes.push(answer);
    orch.child.kill("SIGUSR2");
  });
}
const { value: node } = await ws.start(["bench/streaming-node.mjs", orch.url, token, String(intervalMs), String(streams + 8)], {}, (b) => {
  const m = /ready (\{.*\})/.exec(b);
  return m ? JSON.parse(m[1]) : undefined;
});
const haproxy = await ws.haproxy(node.address);
const auth = { authorization: `Bearer ${token}` };

const agent = new Agent({ keepAlive: true, maxSockets: streams * 2 });

/** One HTTP request; `onChunk(text)` for every body chunk; resolves with the status. */
function send(base, method, path, body, onChunk) {
  const target = new URL(base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path, method, agent, headers: { ...auth, ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}) } }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (c) => onChunk(c));
      res.on("end", () => resolve(res.statusCode));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** Counts token texts ("\" tok<d>", quoted: "event: token" must not count) as they arrive, whatever the wire format, and records the gaps. */
function tokenCounter(gaps, firsts, t0 = performance.now()) {
  let carry = "";
  let last = 0;
  let n = 0;
  return {
    onChunk(chunk) {
      const text = carry + chunk;
      const now = performance.now();
      for (let at = text.indexOf('" tok'); at !== -1; at = text.indexOf('" tok', at + 5)) {
        if (n > 0) gaps.push(now - last);
        else firsts.push(now - t0);
        last = now;
        n++;
      }
      carry = text.slice(-4);
    },
    get count() {
      return n;
    },
  };
}

let seq = 0;
let admissions = [];
let tasksThrough = 0;
const paths = {
  direct: async (base, gaps, firsts) => {
    const c = tokenCounter(gaps, firsts);
    const status = await send(base, "POST", `/v2/pools/${encodeURIComponent(node.pool_id)}/infer`, { task_id: `d-${seq++}`, prompt: "hi", max_tokens: maxTokens, temperature: 0 }, c.onChunk);
    if (status !== 200) throw new Error(`direct: ${status}`);
    return c.count;
  },
  v2: async (base, gaps, firsts) => {
    let accepted = "";
    const t0 = performance.now();
    const status = await send(base, "POST", "/v2/tasks", { task_id: randomUUID(), session_id: randomUUID(), workload: "completion", model_ref: node.model, engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "hi", max_tokens: maxTokens, deadline_ms: 600_000 }, (t) => (accepted += t));
    if (status !== 202) throw new Error(`v2 admission: ${status} ${accepted}`);
    admissions.push(performance.now() - t0);
    const c = tokenCounter(gaps, firsts, t0);
    const s = await send(base, "GET", JSON.parse(accepted).streams.sse, undefined, c.onChunk);
    if (s !== 200) throw new Error(`v2 events: ${s}`);
    return c.count;
  },
  v1: async (base, gaps, firsts) => {
    const c = tokenCounter(gaps, firsts);
    const status = await send(base, "POST", "/v1/completions", { model: node.model, prompt: "hi", max_tokens: maxTokens, temperature: 0, stream: true }, c.onChunk);
    if (status !== 200) throw new Error(`v1: ${status}`);
    return c.count;
  },
};

/** `streams` closed loops of `path` for `seconds`; every stream must deliver all its tokens. */
async function phase(name, base, path, pid) {
  const gaps = [];
  const firsts = [];
  let tokens = 0;
  let short = 0;
  admissions = [];
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: streams }, async () => {
    do {
      if (pid === orch.child.pid) tasksThrough++;
      const n = await path(base, gaps, firsts);
      tokens += n;
      if (n !== maxTokens) short++;
    } while (performance.now() < deadline);
  }));
  const elapsed = (performance.now() - t0) / 1000;
  return { name, tokens_per_s: Math.round(tokens / elapsed), short_streams: short, gap_ms: percentiles(gaps), first_token_ms: percentiles(firsts), ...(admissions.length > 0 ? { admission_ms: percentiles(admissions) } : {}), cpu_share: pid ? Math.round(((cpuSeconds(pid) - cpu0) / elapsed) * 1000) / 1000 : null };
}

const plan = [
  ["direct", node.address, paths.direct, null],
  ["orchestrator /v2", orch.url, paths.v2, orch.child.pid],
  ["orchestrator /v1 stream", orch.url, paths.v1, orch.child.pid],
  ...(haproxy.url ? [["haproxy", haproxy.url, paths.direct, haproxy.child.pid]] : []),
];
if (!values.short) for (const [name, base, path] of plan) await phase(name, base, path); // warm-up (the smoke run checks correctness only)
const rssAfterWarmup = rssMiB(orch.child.pid);
const memoryAfterWarmup = await orchMemory();
const memoryRounds = [];
const results = Object.fromEntries(plan.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? plan : [...plan].reverse();
  for (const [name, base, path, pid] of order) results[name].push(await phase(name, base, path, pid));
  if (values["memory-every-round"]) {
    memoryRounds.push({ tasks: tasksThrough, ...(await orchMemory()) });
    if (!values.json) console.log(`round ${r + 1}: ${tasksThrough} tasks, after GC ${JSON.stringify(memoryRounds.at(-1))}`);
  }
}
const rssAtEnd = rssMiB(orch.child.pid);
const memoryAtEnd = await orchMemory();
const median = (xs, f) => [...xs].sort((a, b) => f(a) - f(b))[Math.floor(xs.length / 2)];
const pick = (name) => median(results[name], (x) => x.tokens_per_s);
const direct = pick("direct");
const row = (name) => {
  const m = pick(name);
  return { ...m, ratio: Math.round((m.tokens_per_s / direct.tokens_per_s) * 1000) / 1000, added_gap_p99_ms: Math.round((m.gap_ms.p99 - direct.gap_ms.p99) * 100) / 100, rounds: results[name].map((x) => x.tokens_per_s) };
};
const result = {
  bench: "streaming-proxy",
  streams,
  max_tokens: maxTokens,
  token_interval_ms: intervalMs,
  seconds,
  rounds,
  direct: { ...direct, rounds: results.direct.map((x) => x.tokens_per_s) },
  orchestrator_v2: row("orchestrator /v2"),
  orchestrator_v1: row("orchestrator /v1 stream"),
  haproxy: haproxy.url ? row("haproxy") : { skipped: haproxy.skipped },
  short_streams: Object.values(results).flat().reduce((a, x) => a + x.short_streams, 0),
  orchestrator_rss_mib: { after_warmup: rssAfterWarmup, at_end: rssAtEnd, tasks_between: tasksThrough },
  orchestrator_memory_after_gc_mib: { after_warmup: memoryAfterWarmup, at_end: memoryAtEnd, ...(memoryRounds.length > 0 ? { rounds: memoryRounds } : {}) },
};
agent.destroy();
if (haproxy.child) haproxy.child.kill("SIGTERM");
if (values["cpu-prof"]) {
  orch.child.kill("SIGTERM");
  await new Promise((r) => orch.child.once("exit", r));
}
if (values.json) console.log(JSON.stringify(result));
else {
  const line = (name, x) => (x.skipped ? `${name}: skipped (${x.skipped})` : `${name}: ${x.tokens_per_s} tok/s${x.ratio !== undefined ? ` (${x.ratio}× direct)` : ""}, first token p50 ${x.first_token_ms.p50} / p99 ${x.first_token_ms.p99} ms${x.admission_ms ? ` (202 p50 ${x.admission_ms.p50} / p99 ${x.admission_ms.p99} ms)` : ""}, gap p50 ${x.gap_ms.p50} / p99 ${x.gap_ms.p99} ms${x.added_gap_p99_ms !== undefined ? ` (added p99 ${x.added_gap_p99_ms} ms)` : ""}${x.cpu_share !== null && x.cpu_share !== undefined ? `, proxy CPU ${x.cpu_share}` : ""}`);
  console.log(`streaming proxy, ${streams} streams × ${maxTokens} tokens every ${intervalMs} ms:`);
  console.log(line("direct", result.direct));
  console.log(line("orchestrator /v2", result.orchestrator_v2));
  console.log(line("orchestrator /v1", result.orchestrator_v1));
  console.log(line("haproxy", result.haproxy));
  console.log(`orchestrator RSS ${rssAfterWarmup} MiB after warm-up → ${rssAtEnd} MiB after ${tasksThrough} more streamed tasks`);
  console.log(`orchestrator memory after a forced GC (MiB): warm-up ${JSON.stringify(memoryAfterWarmup)} → end ${JSON.stringify(memoryAtEnd)}`);
  if (result.short_streams > 0) console.log(`${result.short_streams} streams ended short`);
}
process.exit(0);

#!/usr/bin/env node
// A bounded chaos run: the real orchestrator build, N simulated nodes (each its own HTTP server in this
// process, speaking the worker protocol: register, heartbeats honouring next_heartbeat_ms, /v2/watch with
// 1 s pings, SSE infer at a paced token rate), concurrent clients on every surface (OpenAI chat/completions
// stream and not, Anthropic messages, Ollama chat, /v2/tasks + its events, Idempotency-Key retries, clients
// hanging up mid-stream) released in bursts 50 ms apart, while faults hit random nodes: abrupt death, hang
// (heartbeats, watch pings and streams stop), slow token rate, a stream cut mid-way, and the only holder of
// one model dying and coming back. Then checks the invariants and prints them (exit code 1 when one breaks):
// every request one well-formed outcome within a bound; every task terminal after the run + grace; no node
// Suspect/Offline that no fault explains; /health p99; orchestrator RSS bounded; dashboard snapshot delivered.
//   npm run build && node bench/fleet-chaos.mjs [--nodes 1000] [--seconds 60] [--clients 100] [--seed 1] [--quick] [--json]
// CHAOS_DUMP=1 also prints the largest dashboard task frame seen, field by field (how the feed bloat was found).
import { createHash, randomUUID } from "node:crypto";
import { Agent as HttpAgent, createServer, request as httpRequest } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { benchWorkspace, percentiles, rssMiB } from "./bench-processes.mjs";
import { jsonRequest } from "./json-request.mjs";
import { acceptInfer } from "./simulated-node.mjs";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "1000" }, seconds: { type: "string", default: "60" }, clients: { type: "string", default: "100" }, seed: { type: "string", default: "1" }, quick: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
const NODES = values.quick ? 50 : Number(values.nodes);
const SECONDS = values.quick ? 10 : Number(values.seconds);
const CLIENTS = values.quick ? 20 : Number(values.clients);
const TOKEN = "bench-token-0123456789abcdef0123456789abcd";
const MODELS = ["chaos-a", "chaos-b", "chaos-c", "chaos-d"];
const SOLO = "chaos-solo"; // held by node 0 only
const REQUEST_BOUND_MS = 45_000; // a request with no outcome by then is a hang
const GRACE_MS = 15_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Deterministic randomness (mulberry32) so a failing run can be repeated with its --seed.
let seed = Number(values.seed) >>> 0;
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(rand() * list.length)];

const ws = benchWorkspace("llorch-bench-chaos-");
// --expose-gc + the probe: the heap after a full GC on demand (bench/memory-probe.mjs), so "bounded" is
// judged on what stays live, not on RSS, which swings by tens of MiB with V8's heap sizing.
const orch = await ws.orchestratorProcess(TOKEN, { ORCHD_ADMISSION_CAPACITY: "10000" }, ["--expose-gc", "--import", new URL("./memory-probe.mjs", import.meta.url).href]);
const probes = [];
const orchWarnings = []; // the orchestrator's log lines about closing a client's stream
orch.child.stderr.on("data", (b) => {
  for (const line of String(b).split("\n")) if (/unread|dead peer|disconnect|slow/i.test(line) && orchWarnings.length < 50) orchWarnings.push(line.slice(0, 300));
  for (const m of String(b).matchAll(/memory-probe (\{.*\})/g)) probes.shift()?.(JSON.parse(m[1]));
});
/** The orchestrator's memoryUsage() in MiB after a full GC (null when the probe does not answer in 10 s). */
function orchMemory() {
  return new Promise((resolve) => {
    const answer = (m) => {
      clearTimeout(timer);
      resolve(m);
    };
    const timer = setTimeout(() => {
      probes.splice(probes.indexOf(answer), 1);
      resolve(null);
    }, 10_000);
    probes.push(answer);
    orch.child.kill("SIGUSR2");
  });
}
const orchUrl = new URL(orch.url);
const t0 = performance.now();
const now = () => Math.round(performance.now() - t0);
const lag = monitorEventLoopDelay({ resolution: 20 });
lag.enable();

// ---------------------------------------------------------------- the simulated fleet
const ctlAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
/** A JSON request to the orchestrator on the control agent; resolves { status, json } (status 0 when it failed). */
function orchJson(method, path, body) {
  return jsonRequest({ host: orchUrl.hostname, port: orchUrl.port, path, method, agent: ctlAgent, bearer: TOKEN, body, timeoutMs: 20_000 });
}

const modelOf = (name) => {
  const sha256 = createHash("sha256").update(name).digest("hex");
  return { sha256, name, file_name: `${name}.gguf`, size_bytes: 1024, has_chat_template: false, context_length: 4096 };
};

/** One simulated node: its own server (so death is a refused connection), watch, infer streams, heartbeats. */
function simNode(index) {
  const nodeId = `chaos-${String(index).padStart(4, "0")}`;
  const poolId = `${nodeId}-p0`;
  const model = modelOf(index === 0 ? SOLO : MODELS[index % MODELS.length]);
  const slots = 4;
  const n = { nodeId, poolId, model, state: "alive", tokenIntervalMs: 20, streams: new Set(), watches: new Set(), server: null, address: "", timer: null, intervalMs: 1000, cutNext: false };
  const status = () => ({ pool_id: poolId, live: true, ready: true, draining: false, state: "ready", slots_total: slots, slots_free: Math.max(0, slots - n.streams.size), engine: "sim", engine_version: "sim", device_mask: "cpu", vram_free_bytes: 0, model: { sha256: model.sha256, name: model.name }, last_error: null, restarts: 0 });
  const pool = () => ({ pool_id: poolId, ready: true, draining: false, slots_free: Math.max(0, slots - n.streams.size), slots_total: slots, vram_free_bytes: 0, engine: "sim", device_mask: "cpu", models_available: [model.sha256], model: { sha256: model.sha256, name: model.name } });
  function handler(req, res) {
    const url = req.url ?? "";
    if (n.state === "hung") return; // a stopped process answers nothing
    if (url.endsWith("/v2/watch")) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": watching\n\n");
      n.watches.add(res);
      res.on("close", () => n.watches.delete(res));
      return;
    }
    if (url.endsWith("/status")) return void res.end(JSON.stringify(status()));
    if (url.endsWith("/health")) return void res.end(JSON.stringify({ status: "ok", version: "sim", node_id: nodeId }));
    if (/\/v2\/tasks\/[^/]+\/cancel$/.test(url)) {
      req.resume();
      return void res.writeHead(204).end();
    }
    if (url.endsWith("/infer")) {
      acceptInfer(req, res, { nodeId, poolId, sha256: model.sha256 }, (body) => {
        const s = { res, i: 0, max: body.max_tokens ?? 16, t0: performance.now(), next: performance.now(), cutAt: n.cutNext ? 3 : -1 };
        n.cutNext = false;
        n.streams.add(s);
        res.on("close", () => n.streams.delete(s));
      });
      return;
    }
    res.statusCode = 404;
    res.end("{}");
  }
  async function listen() {
    n.server = createServer(handler);
    n.server.keepAliveTimeout = 60_000;
    await new Promise((resolve) => n.server.listen(0, "127.0.0.1", resolve));
    n.address = `http://127.0.0.1:${n.server.address().port}`;
  }
  async function register() {
    const res = await orchJson("POST", "/v2/nodes/register", { node_id: nodeId, machine_id: `sim-${nodeId}`, address: n.address, pools: [poolId], capabilities: { gpus: [], cpu_cores: 1 }, version: "sim", models: [model] });
    if (res.status !== 200) throw new Error(`register ${nodeId}: ${res.status} ${JSON.stringify(res.json)}`);
    n.intervalMs = res.json.next_heartbeat_ms;
  }
  async function beat() {
    n.timer = null;
    if (n.state !== "alive" || stopping) return;
    const res = await orchJson("POST", `/v2/nodes/${nodeId}/heartbeat`, { timestamp: new Date().toISOString(), pools: [pool()], models: [model] });
    if (n.state !== "alive" || stopping) return;
    stats.heartbeats++;
    if (res.status === 200) n.intervalMs = res.json.next_heartbeat_ms;
    else if (res.status === 404) {
      stats.reregistrations++;
      await register().catch(() => undefined);
    } else stats.heartbeatFailures++;
    n.timer = setTimeout(() => void beat(), n.intervalMs);
  }
  n.start = async () => {
    await listen();
    await register();
    await beat();
  };
  /** Abrupt death: server and every connection closed, no more heartbeats. */
  n.die = async () => {
    n.state = "dead";
    if (n.timer) clearTimeout(n.timer);
    for (const s of n.streams) s.res.destroy();
    n.server.closeAllConnections();
    await new Promise((resolve) => n.server.close(resolve));
  };
  /** Back from the dead: a new server (new port), registered again, heartbeating. */
  n.revive = async () => {
    n.state = "alive";
    await listen();
    await register();
    await beat();
  };
  /** Hang: heartbeats, watch pings and token frames stop; connections stay open (a SIGSTOPped agent). */
  n.hang = () => {
    n.state = "hung";
    if (n.timer) clearTimeout(n.timer);
  };
  n.stop = async () => {
    if (n.timer) clearTimeout(n.timer);
    if (n.state === "dead") return;
    for (const s of n.streams) s.res.destroy();
    n.server.closeAllConnections();
    await new Promise((resolve) => n.server.close(resolve));
  };
  return n;
}

let stopping = false;
const stats = { heartbeats: 0, heartbeatFailures: 0, reregistrations: 0 };
const fleet = Array.from({ length: NODES }, (_, i) => simNode(i));
// One timer for every stream (a batched engine): each stream's next token when its node's rate allows.
const tick = setInterval(() => {
  const t = performance.now();
  for (const n of fleet) {
    if (n.state !== "alive") continue;
    for (const s of n.streams) {
      if (t < s.next) continue;
      s.next = t + n.tokenIntervalMs;
      if (s.i === s.cutAt) {
        s.res.destroy(); // the stream cut mid-way
        continue;
      }
      if (s.i < s.max) {
        s.res.write(`event: token\ndata: {"t":" tok${s.i % 10}","i":${s.i}}\n\n`);
        s.i++;
      }
      if (s.i >= s.max) {
        const ms = Math.round(t - s.t0);
        s.res.end(`event: end\ndata: {"tokens_out":${s.i},"decode_ms":${ms},"decode_time_ms":${ms},"stop_reason":"max_tokens","tokens_in":2}\n\n`);
        n.streams.delete(s);
      }
    }
  }
}, 10);
const keepAlive = setInterval(() => {
  for (const n of fleet) {
    if (n.state !== "alive") continue;
    for (const s of n.streams) s.res.write(": keep-alive\n\n");
    for (const w of n.watches) w.write(": ping\n\n");
  }
}, 1000);

const tRegister = performance.now();
{
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < fleet.length) await fleet[next++].start();
  }));
}
const registerSeconds = Number(((performance.now() - tRegister) / 1000).toFixed(1));

// ---------------------------------------------------------------- the dashboard feed
// Protocol 2 as the dashboard opens it (src-renderer/api/cluster-stream.ts): a paged snapshot, then node deltas.
const feed = { snapshotMs: null, snapshotBytes: 0, transitions: [], frames: 0, bytes: 0, byEvent: {}, closedAt: null };
const feedReq = httpRequest({ host: orchUrl.hostname, port: orchUrl.port, path: "/v2/events?protocol=2", headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream" } }, (res) => {
  const opened = performance.now();
  let buf = "";
  res.on("close", () => {
    if (!stopping) feed.closedAt = now();
  });
  res.setEncoding("utf8");
  res.on("data", (chunk) => {
    buf += chunk;
    feed.bytes += chunk.length;
    let end;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const frame = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      feed.frames++;
      feed.byEvent[event] = (feed.byEvent[event] ?? 0) + frame.length;
      if (process.env.CHAOS_DUMP && event === "task" && frame.length > (feed.biggest?.length ?? 0)) feed.biggest = frame;
      if (feed.snapshotMs === null && event?.startsWith("snapshot")) feed.snapshotBytes += Buffer.byteLength(frame);
      if (event === "snapshot_end" && feed.snapshotMs === null) feed.snapshotMs = Math.round(performance.now() - opened);
      if (event === "node_event") {
        const data = JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? "null");
        const to = data?.event?.to;
        if (to === "Suspect" || to === "Offline") feed.transitions.push({ t: now(), node_id: data.node_id, to, message: data.event.message ?? data.event.reason ?? "" });
      }
    }
  });
});
feedReq.on("error", () => {
  if (!stopping) feed.closedAt ??= now();
});
feedReq.end();

// ---------------------------------------------------------------- faults
const faults = []; // { t, node_id, kind, until? }
const healthMs = [];
const rss = [];
const victims = fleet.slice(1);
async function injectFaults(durationMs) {
  const start = performance.now();
  const solo = fleet[0];
  let soloDown = false;
  let soloBack = false;
  const every = Math.max(250, durationMs / Math.max(8, Math.round(NODES / 25)));
  while (performance.now() - start < durationMs) {
    await sleep(every);
    const elapsed = performance.now() - start;
    if (!soloDown && elapsed > durationMs * 0.3) {
      soloDown = true;
      faults.push({ t: now(), node_id: solo.nodeId, kind: "solo-death" });
      await solo.die();
    }
    if (soloDown && !soloBack && elapsed > durationMs * 0.3 + Math.min(10_000, durationMs * 0.25)) {
      soloBack = true;
      await solo.revive();
      faults.push({ t: now(), node_id: solo.nodeId, kind: "solo-revive" });
    }
    const candidates = victims.filter((n) => n.state === "alive");
    if (candidates.length === 0) continue;
    const n = pick(candidates);
    const kind = pick(["death", "hang", "slow", "cut", "cut"]);
    faults.push({ t: now(), node_id: n.nodeId, kind });
    if (kind === "death") await n.die();
    else if (kind === "hang") n.hang();
    else if (kind === "slow") n.tokenIntervalMs = 400;
    else if (kind === "cut") {
      const s = [...n.streams].find((x) => x.i < x.max - 1);
      if (s) s.cutAt = s.i + 1;
      else n.cutNext = true;
    }
  }
}
async function monitor(durationMs) {
  const end = performance.now() + durationMs;
  let nextRss = 0;
  while (performance.now() < end) {
    const s = performance.now();
    const r = await orchJson("GET", "/health");
    healthMs.push(r.status === 200 ? performance.now() - s : 20_000);
    if (performance.now() >= nextRss) {
      rss.push(rssMiB(orch.child.pid));
      nextRss = performance.now() + 1000;
    }
    await sleep(200);
  }
}

// ---------------------------------------------------------------- clients
const outcomes = []; // { kind, model, status, ok, why, ms }
const admittedTaskIds = new Set();
const clientAgent = new HttpAgent({ keepAlive: true, maxSockets: CLIENTS * 2 });
let burstWaiters = [];
const burst = setInterval(() => {
  const w = burstWaiters;
  burstWaiters = [];
  for (const r of w) r();
}, 50);
const nextBurst = () => new Promise((r) => burstWaiters.push(r));

/** One client request: resolves { status, body, aborted, error } when the response ended, failed, or `abortAfter(text)` says hang up. */
function send(method, path, body, { headers = {}, abortWhen } = {}) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let settled = false;
    const done = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(bound);
      resolve(r);
    };
    const req = httpRequest({ host: orchUrl.hostname, port: orchUrl.port, path, method, agent: clientAgent, headers: { authorization: `Bearer ${TOKEN}`, ...headers, ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        text += c;
        if (abortWhen?.(text)) {
          req.destroy();
          done({ status: res.statusCode, body: text, aborted: true });
        }
      });
      res.on("end", () => done({ status: res.statusCode, body: text, headers: res.headers }));
      res.on("error", (e) => done({ status: res.statusCode, body: text, error: `response broke: ${e.message}` }));
      res.on("close", () => done({ status: res.statusCode, body: text, error: res.complete ? undefined : "response closed before its end" }));
    });
    const bound = setTimeout(() => {
      req.destroy();
      done({ status: 0, body: "", error: `no outcome within ${REQUEST_BOUND_MS} ms (hang)` });
    }, REQUEST_BOUND_MS);
    req.on("error", (e) => done({ status: 0, body: "", error: `request failed: ${e.message}` }));
    req.end(payload);
  });
}

const parse = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};
const sseData = (text) => [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]);
const sseEvents = (text) => [...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1]);
/** Error bodies per surface: OpenAI { error: { message } }, Anthropic { type: "error", error: { type, message } }, Ollama { error: "…" }, v2 { error: { code, message } }-ish. */
const errorShape = {
  openai: (j) => typeof j?.error?.message === "string" && j.error.message.length > 0,
  anthropic: (j) => j?.type === "error" && typeof j?.error?.type === "string" && typeof j?.error?.message === "string",
  ollama: (j) => typeof j?.error === "string" && j.error.length > 0,
  v2: (j) => (typeof j?.code === "string" || typeof j?.error?.code === "string") && JSON.stringify(j).includes("message"),
};
/** Judges a finished request: ok true/false and why. */
function judge(kind, r, surface, success) {
  if (r.error) return { ok: false, why: r.error };
  if (r.status >= 200 && r.status < 300) return success(r.body) ? { ok: true, why: "success" } : { ok: false, why: `malformed ${r.status} body: ${r.body.slice(0, 200)}` };
  const j = parse(r.body);
  if (!errorShape[surface](j)) return { ok: false, why: `error ${r.status} not in the ${surface} shape: ${r.body.slice(0, 200)}` };
  if (r.status === 500) return { ok: false, why: `500: ${r.body.slice(0, 200)}` };
  if (r.status < 400) return { ok: false, why: `odd status ${r.status}` };
  return { ok: true, why: `error ${r.status} ${(surface === "ollama" ? j.error : j.error?.code ?? j.error?.type ?? j.code ?? "").toString().slice(0, 60)}` };
}

const openaiStreamEnded = (t) => {
  const d = sseData(t);
  if (d.at(-1) === "[DONE]") return d.slice(0, -1).every((x) => parse(x) !== null);
  return false;
};
const openaiStreamError = (t) => sseData(t).some((x) => parse(x)?.error !== undefined);

const KINDS = {
  async chat(model) {
    const r = await send("POST", "/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }], max_tokens: 12 });
    return judge("chat", r, "openai", (b) => typeof parse(b)?.choices?.[0]?.message?.content === "string");
  },
  async chatStream(model) {
    const r = await send("POST", "/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }], max_tokens: 16, stream: true });
    // A stream that failed after its head: an error data frame, then [DONE] (or the end) — one well-formed outcome.
    if (!r.error && r.status === 200 && openaiStreamError(r.body)) return { ok: true, why: "stream error frame" };
    return judge("chatStream", r, "openai", openaiStreamEnded);
  },
  async completions(model) {
    const r = await send("POST", "/v1/completions", { model, prompt: "hi", max_tokens: 10 });
    return judge("completions", r, "openai", (b) => typeof parse(b)?.choices?.[0]?.text === "string");
  },
  async messages(model) {
    const stream = rand() < 0.5;
    const r = await send("POST", "/v1/messages", { model, max_tokens: 12, stream, messages: [{ role: "user", content: "hi" }] }, { headers: { "anthropic-version": "2023-06-01" } });
    if (stream && !r.error && r.status === 200 && sseEvents(r.body).at(-1) === "error") return { ok: true, why: "stream error event" };
    return judge("messages", r, "anthropic", (b) => (stream ? sseEvents(b).at(-1) === "message_stop" : Array.isArray(parse(b)?.content)));
  },
  async ollama(model) {
    const stream = rand() < 0.5;
    const r = await send("POST", "/api/chat", { model, stream, messages: [{ role: "user", content: "hi" }], options: { num_predict: 12 } });
    const last = parse(r.body.trim().split("\n").at(-1) ?? "");
    if (stream && !r.error && r.status === 200 && typeof last?.error === "string") return { ok: true, why: "stream error line" };
    return judge("ollama", r, "ollama", () => last?.done === true);
  },
  async task(model) {
    const id = randomUUID();
    const a = await send("POST", "/v2/tasks", { task_id: id, session_id: randomUUID(), workload: "completion", model_ref: model, engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "hi", max_tokens: 12, deadline_ms: 60_000 });
    if (a.error || a.status < 200 || a.status >= 300) return judge("task", a, "v2", () => false);
    admittedTaskIds.add(id);
    const r = await send("GET", `/v2/tasks/${id}/events`, undefined, { headers: { accept: "text/event-stream" } });
    return judge("task", r, "v2", (b) => ["end", "error"].includes(sseEvents(b).at(-1)));
  },
  async idempotent(model) {
    // The first attempt hangs up before its answer; the retry with the same key must get one answer.
    const key = randomUUID();
    const body = { model, messages: [{ role: "user", content: "hi" }], max_tokens: 12 };
    await send("POST", "/v1/chat/completions", body, { headers: { "idempotency-key": key }, abortWhen: () => true }).catch(() => undefined);
    const r = await send("POST", "/v1/chat/completions", body, { headers: { "idempotency-key": key } });
    return judge("idempotent", r, "openai", (b) => typeof parse(b)?.choices?.[0]?.message?.content === "string");
  },
  async hangup(model) {
    const r = await send("POST", "/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }], max_tokens: 40, stream: true }, { abortWhen: (t) => t.includes("tok") });
    if (r.aborted) return { ok: true, why: "client hung up" };
    if (!r.error && r.status === 200 && openaiStreamError(r.body)) return { ok: true, why: "stream error frame" };
    return judge("hangup", r, "openai", openaiStreamEnded);
  },
};
const KIND_NAMES = Object.keys(KINDS);

async function client(until) {
  while (performance.now() < until) {
    await nextBurst();
    if (performance.now() >= until) break;
    const kind = pick(KIND_NAMES);
    const model = rand() < 0.1 ? SOLO : pick(MODELS);
    const s = performance.now();
    const started = now();
    let res;
    try {
      res = await KINDS[kind](model);
    } catch (e) {
      res = { ok: false, why: `client threw: ${e.message}` };
    }
    outcomes.push({ kind, model, t: started, ms: Math.round(performance.now() - s), ...res });
  }
}

const durationMs = SECONDS * 1000;
const tRun = performance.now();
const until = tRun + durationMs;
const memory = { start: await orchMemory(), third: null, end: null };
const thirdProbe = sleep(durationMs / 3).then(async () => (memory.third = await orchMemory()));
await Promise.all([thirdProbe, injectFaults(durationMs), monitor(durationMs), ...Array.from({ length: CLIENTS }, () => client(until))]);
const runSeconds = Number(((performance.now() - tRun) / 1000).toFixed(1));
clearInterval(burst);

// ---------------------------------------------------------------- after the run: every task terminal
const tasksLeft = async () => {
  const left = [];
  for (const state of ["queued", "dispatching", "running"]) {
    const r = await orchJson("GET", `/v2/tasks?state=${state}&limit=1000`);
    for (const t of r.json?.tasks ?? []) left.push({ task_id: t.task_id, state: t.state, node_id: t.node_id, model: t.model_ref });
  }
  return left;
};
let left = await tasksLeft();
const graceEnd = performance.now() + GRACE_MS;
while (left.length > 0 && performance.now() < graceEnd) {
  await sleep(500);
  left = await tasksLeft();
}
const notTerminal = [];
for (const id of admittedTaskIds) {
  const r = await orchJson("GET", `/v2/tasks/${id}`);
  if (r.status === 200 && !["completed", "failed", "canceled"].includes(r.json.state)) notTerminal.push({ task_id: id, state: r.json.state });
}
rss.push(rssMiB(orch.child.pid));
memory.end = await orchMemory();
// Ground truth for status changes: every node's own event history (the feed may have missed some).
const recorded = [];
{
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < fleet.length) {
      const n = fleet[next++];
      const r = await orchJson("GET", `/v2/nodes/${n.nodeId}`);
      for (const e of r.json?.events ?? []) if (e.to === "Suspect" || e.to === "Offline") recorded.push({ node_id: n.nodeId, to: e.to, message: e.message, at_ms: e.at_ms });
    }
  }));
}

// ---------------------------------------------------------------- invariants
const faulted = new Map(); // node_id -> first fault time that explains Suspect/Offline
for (const f of faults) if (["death", "hang", "solo-death"].includes(f.kind) && !faulted.has(f.node_id)) faulted.set(f.node_id, f.t);
const falseTransitions = feed.transitions.filter((tr) => !(faulted.has(tr.node_id) && faulted.get(tr.node_id) <= tr.t));
// From the nodes' histories (wall clock, not run time): a node no death/hang/solo fault touched must have none.
const unexplained = recorded.filter((e) => !faulted.has(e.node_id));
const bad = outcomes.filter((o) => !o.ok);
const byWhy = {};
for (const o of outcomes) {
  const k = `${o.kind} ${o.ok ? "ok" : "BAD"}: ${o.why.replace(/[0-9a-f-]{36}/g, "<id>").slice(0, 90)}`;
  byWhy[k] = (byWhy[k] ?? 0) + 1;
}
// Error outcomes per model: the single-holder model's outage should account for most of them.
const errorsByModel = {};
for (const o of outcomes) if (o.why !== "success" && o.why !== "client hung up") errorsByModel[o.model] = (errorsByModel[o.model] ?? 0) + 1;
const health = percentiles(healthMs);
const rssStart = rss[0] ?? 0;
const rssMax = Math.max(...rss);
const faultCounts = {};
for (const f of faults) faultCounts[f.kind] = (faultCounts[f.kind] ?? 0) + 1;
const invariants = {
  one_outcome_each: { ok: bad.length === 0, requests: outcomes.length, bad: bad.length },
  tasks_terminal: { ok: left.length === 0 && notTerminal.length === 0, left: left.slice(0, 10), left_count: left.length, admitted_not_terminal: notTerminal.length },
  no_false_suspect: { ok: falseTransitions.length === 0 && unexplained.length === 0, feed_transitions: feed.transitions.length, recorded_transitions: recorded.length, nodes_faulted: faulted.size, false: [...falseTransitions, ...unexplained].slice(0, 10), false_count: falseTransitions.length + unexplained.length },
  health_responsive: { ok: health.p99 < 1000, ms: health },
  // The finished-task history (2,000 kept) fills within the first third: from then on the heap after GC must stay flat.
  memory_bounded: { ok: memory.third !== null && memory.end !== null && memory.end.heapUsed - memory.third.heapUsed < 32, heap_after_gc_mib: { start: memory.start?.heapUsed, third: memory.third?.heapUsed, end: memory.end?.heapUsed }, rss_mib: { start: rssStart, max: rssMax, end: rss.at(-1), after_gc_end: memory.end?.rss } },
  dashboard_feed: { ok: feed.snapshotMs !== null && feed.closedAt === null, snapshot_ms: feed.snapshotMs, snapshot_bytes: feed.snapshotBytes, frames: feed.frames, bytes: feed.bytes, bytes_by_event: feed.byEvent, closed_at_ms: feed.closedAt },
};
const result = {
  bench: "fleet-chaos",
  nodes: NODES,
  seconds: SECONDS,
  clients: CLIENTS,
  seed: Number(values.seed),
  register_s: registerSeconds,
  run_s: runSeconds,
  requests_per_s: Math.round(outcomes.length / runSeconds),
  latency_ms: percentiles(outcomes.map((o) => o.ms)),
  faults: faultCounts,
  heartbeats: stats,
  bench_event_loop_lag_ms: { p99: Math.round(lag.percentile(99) / 1e6), max: Math.round(lag.max / 1e6) },
  orchestrator_warnings: orchWarnings.slice(0, 10),
  outcomes: byWhy,
  errors_by_model: errorsByModel,
  bad_examples: bad.slice(0, 8),
  invariants,
  ok: Object.values(invariants).every((i) => i.ok),
};

stopping = true;
clearInterval(tick);
clearInterval(keepAlive);
feedReq.destroy();
await Promise.all(fleet.map((n) => n.stop()));
if (process.env.CHAOS_DUMP && feed.biggest) {
  const d = JSON.parse(/^data: (.*)$/m.exec(feed.biggest)[1]);
  console.error("biggest task frame", feed.biggest.length, JSON.stringify(Object.fromEntries(Object.entries(d).map(([k, v]) => [k, JSON.stringify(v)?.length]))), JSON.stringify(d.placement).slice(0, 1500));
}
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`fleet chaos: ${NODES} nodes, ${CLIENTS} clients, ${runSeconds} s (registered in ${registerSeconds} s); ${outcomes.length} requests (${result.requests_per_s}/s), latency p50 ${result.latency_ms.p50} ms p99 ${result.latency_ms.p99} ms`);
  console.log(`  faults: ${JSON.stringify(faultCounts)}; heartbeats ${stats.heartbeats}, re-registrations ${stats.reregistrations}, failures ${stats.heartbeatFailures}; bench loop lag p99 ${result.bench_event_loop_lag_ms.p99} ms max ${result.bench_event_loop_lag_ms.max} ms`);
  console.log(`  error outcomes by model: ${JSON.stringify(errorsByModel)} (${SOLO} has one holder, down for part of the run)`);
  for (const [k, v] of Object.entries(byWhy).sort((a, b) => b[1] - a[1])) console.log(`    ${String(v).padStart(6)}  ${k}`);
  for (const [name, inv] of Object.entries(invariants)) console.log(`  ${inv.ok ? "PASS" : "FAIL"} ${name}: ${JSON.stringify({ ...inv, ok: undefined })}`);
  for (const b of result.bad_examples) console.log(`  bad: ${JSON.stringify(b)}`);
  console.log(result.ok ? "all invariants held" : "INVARIANTS BROKEN");
}
process.exit(result.ok ? 0 : 1);

// A load generator for benchmarks only (never in product tests): an in-process HTTP server that
// speaks the worker protocol's control side — register, heartbeat, watch, pool status — for one
// pool holding one model, and whose infer endpoint holds every request open (started, then keep-alives).
// With `slots: 1` the first task occupies the only slot for good, so every later task queues.
import { createHash } from "node:crypto";
import { Agent as HttpAgent, createServer } from "node:http";
import { jsonRequest } from "./json-request.mjs";

/**
 * A simulated node's answer to POST …/infer: reads the JSON body, opens the worker protocol's task stream
 * (SSE head and its `started` frame) and hands the body on; the caller writes the tokens.
 */
export function acceptInfer(req, res, { nodeId, poolId, sha256 }, then) {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    res.socket?.setNoDelay(true);
    res.write(`event: started\ndata: ${JSON.stringify({ queue_position: 0, predicted_start_ms: 0, task_id: body.task_id, node_id: nodeId, pool_id: poolId, model: sha256, engine: "sim" })}\n\n`);
    then(body);
  });
}

/**
 * A pool's GET /v2/pools/{id}/status answer with every field the real worker sends
 * (src-shared/worker-api/pool-status.ts), so the orchestrator's pool probes succeed as they do
 * against a real worker (an answer missing fields failed every probe's validation).
 */
function poolStatus(poolId, slots, sha256, modelName) {
  return { pool_id: poolId, live: true, ready: true, draining: false, state: "ready", slots_total: slots, slots_free: slots, engine: "sim", engine_version: "sim", device_mask: "cpu", vram_free_bytes: 0, model: { sha256, name: modelName }, last_error: null, restarts: 0 };
}

export async function startHoldingNode({ orchUrl, token, nodeId, poolId, modelName, slots = 1 }) {
  const sha256 = createHash("sha256").update(modelName).digest("hex");
  const held = new Set();
  const server = createServer((req, res) => {
    if (req.url === "/health") return void res.end(JSON.stringify({ status: "ok", version: "sim", node_id: nodeId }));
    if (req.url === "/v2/watch") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": watching\n\n");
      held.add(res);
      return;
    }
    if (req.url?.endsWith("/infer")) {
      // Started, then only keep-alives (as a real worker sends every second, so the orchestrator's
      // idle bound on a silent stream never fires): the slot stays taken for good.
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
      res.write(`event: started\ndata: {"queue_position":0,"predicted_start_ms":0}\n\n`);
      held.add(res);
      return;
    }
    if (req.url?.endsWith("/status")) return void res.end(JSON.stringify(poolStatus(poolId, slots, sha256, modelName)));
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = `http://127.0.0.1:${server.address().port}`;
  const model = { sha256, name: modelName, file_name: `${modelName}.gguf`, size_bytes: 1024, has_chat_template: false, context_length: 4096 };
  const pool = { pool_id: poolId, ready: true, draining: false, slots_free: slots, slots_total: slots, vram_free_bytes: 0, engine: "sim", device_mask: "cpu", models_available: [sha256], model: { sha256, name: modelName } };
  const post = (path, body) => fetch(`${orchUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const reg = await post("/v2/nodes/register", { node_id: nodeId, machine_id: `sim-${nodeId}`, address, pools: [poolId], capabilities: { gpus: [], cpu_cores: 1 }, version: "sim", models: [model] });
  if (!reg.ok) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
  const beat = () => post(`/v2/nodes/${nodeId}/heartbeat`, { timestamp: new Date().toISOString(), pools: [pool], models: [model] }).catch(() => undefined);
  await beat();
  const timer = setInterval(beat, 1000);
  const keepAlive = setInterval(() => {
    for (const res of held) res.write(": keep-alive\n\n");
  }, 1000);
  return {
    modelName,
    async stop() {
      clearInterval(timer);
      clearInterval(keepAlive);
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** `count` API keys with the worker scope (POST /v2/auth/keys, 8 at a time): one per simulated agent. */
export async function createNodeKeys(url, token, count) {
  const keys = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${url}/v2/auth/keys`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ name: `fleet node ${i}`, scopes: ["worker"] }) });
      if (res.status !== 201) throw new Error(`creating node key ${i}: ${res.status} ${await res.text()}`);
      keys[i] = (await res.json()).key;
    }
  }));
  return keys;
}

/**
 * One host sample as worker-agent's TelemetrySampler builds it (HostTelemetrySchema): CPU and memory
 * always, `gpus` GPUs as nvidia-smi reports them (all fields set, as a recent driver gives them).
 */
export function hostTelemetry(i, gpus = 1) {
  const now = Date.now();
  const wobble = ((now / 5000 + i) % 10) / 10;
  return {
    sampled_at_ms: now,
    cpu_utilization_ratio: Math.round(wobble * 0.3 * 1000) / 1000,
    cpus: 16,
    load1: Math.round(wobble * 400) / 100,
    memory_total_bytes: 67_430_219_776,
    memory_available_bytes: 51_539_607_552 - i * 4096,
    gpus: Array.from({ length: gpus }, (_, g) => ({
      gpu: String(g),
      name: "NVIDIA GeForce RTX 4090",
      uuid: `GPU-${String(i).padStart(8, "0")}-7c1e-4b6f-9d2a-${String(g).padStart(12, "0")}`,
      utilization_ratio: Math.round(wobble * 100) / 100,
      memory_total_bytes: 25_757_220_864,
      memory_used_bytes: 20_401_094_656,
      temperature_celsius: 41 + g,
      power_watts: 87.5,
      power_limit_watts: 450,
    })),
  };
}

/**
 * Many simulated agents in this one process, for fleet-scale benchmarks: one HTTP server answers
 * every node's watch and pool-status calls (each node's address carries its own path prefix), and
 * every agent registers, then heartbeats the way worker-agent/registration does: the next beat is
 * sent `next_heartbeat_ms` (from the last reply) after the previous answer, and a 404 re-registers.
 * Heartbeat answer latencies are recorded for the caller.
 */
export async function startSimulatedFleet({ orchUrl, token, tokens, count, modelName = "fleet-sim", prefix = "fleet", registerConcurrency = 16, watch = true, watchPingMs = 1000, telemetry = true, gpus = 1, fixedIntervalMs, inferMs, maxSockets = 64, trace = false }) {
  const sha256 = createHash("sha256").update(modelName).digest("hex");
  const model = { sha256, name: modelName, file_name: `${modelName}.gguf`, size_bytes: 1024, has_chat_template: false, context_length: 4096 };
  const watches = new Set();
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    // Every call the orchestrator makes on a node is checked against the token that node registered with.
    const callee = /^\/n\/([^/]+)\//.exec(url)?.[1];
    const expected = callee === undefined ? undefined : byId.get(callee)?.token;
    stats.calls++;
    if (expected === undefined || req.headers.authorization !== `Bearer ${expected}`) stats.wrongToken++;
    // `inferMs` (ms, or a function giving them per request): infer answers `started`, then one token and `end` after that long.
    if (inferMs !== undefined && url.endsWith("/infer")) {
      acceptInfer(req, res, { nodeId: callee, poolId: `${callee}-p0`, sha256 }, (body) => {
        stats.infers.set(body.task_id, (stats.infers.get(body.task_id) ?? 0) + 1);
        const keep = setInterval(() => res.write(": keep-alive\n\n"), 1000);
        setTimeout(() => {
          clearInterval(keep);
          res.end(`event: token\ndata: {"t":" ok","i":0}\n\nevent: end\ndata: {"tokens_out":1,"decode_ms":1,"decode_time_ms":1,"stop_reason":"max_tokens","tokens_in":2}\n\n`);
        }, typeof inferMs === "function" ? inferMs() : inferMs);
        res.on("close", () => clearInterval(keep));
      });
      return;
    }
    if (/\/v2\/tasks\/[^/]+\/cancel$/.test(url)) return void res.writeHead(204).end();
    // `watch: false` (breakdowns only): answer the watch with 404, as a worker without the route, so the
    // orchestrator watches no node and the fleet's cost without the 1,000 watch connections can be measured.
    if (url.endsWith("/v2/watch") && watch) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": watching\n\n");
      watches.add(res);
      res.on("close", () => watches.delete(res));
      return;
    }
    const status = /\/v2\/pools\/([^/]+)\/status$/.exec(url);
    if (status) return void res.end(JSON.stringify(poolStatus(decodeURIComponent(status[1]), 1, sha256, modelName)));
    if (url.endsWith("/health")) return void res.end(JSON.stringify({ status: "ok", version: "sim" }));
    res.statusCode = 404;
    res.end("{}");
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  // `maxSockets`: heartbeats of the whole fleet share this many connections. A real agent has its own; with
  // a shared pool a slow orchestrator makes beats wait in this process's queue (sent late: the bench's fault).
  // `maxSockets: "own"`: each agent its own keep-alive connection, as each real agent process has.
  const agent = maxSockets === "own" ? undefined : new HttpAgent({ keepAlive: true, maxSockets });
  const target = new URL(orchUrl);
  const stats = { latencies: [], timerLateMs: [], heartbeats: 0, failures: 0, reregistrations: 0, intervals: new Map(), calls: 0, wrongToken: 0, infers: new Map(), statuses: new Map() };
  let running = true;
  // Every watch gets the real worker's 1 s ping (one timer for the fleet): the orchestrator fails a
  // watch that stays silent longer than worker_stream_idle_ms. (`watchPingMs`: another pace, for breakdowns.)
  const watchPing = setInterval(() => {
    for (const res of watches) res.write(": ping\n\n");
  }, watchPingMs);

  function post(path, body, bearer = token, own = agent) {
    return jsonRequest({ host: target.hostname, port: target.port, path, agent: own, bearer, body });
  }


  const agents = Array.from({ length: count }, (_, i) => {
    const nodeId = `${prefix}-${String(i).padStart(4, "0")}`;
    const poolId = `${nodeId}-p0`;
    // The fields worker-agent's LlamaPool.snapshot() sends for a ready pool with its model loaded.
    const pool = { pool_id: poolId, ready: true, draining: false, slots_free: 1, slots_total: 1, vram_free_bytes: 0, engine: "sim", device_mask: "cpu", models_available: [sha256], last_error: null, state: "ready", engine_version: "sim", model: { sha256, name: modelName } };
    // `tokens`: each agent its own credential, as joined workers have (one API key per node).
    // `trace`: each beat's [timer due, sent, answered] (wall clock ms), to tell who was late when a node was marked.
    return { nodeId, poolId, pool, http: maxSockets === "own" ? new HttpAgent({ keepAlive: true, maxSockets: 1 }) : agent, intervalMs: 1000, timer: null, dueAt: 0, beats: trace ? [] : undefined, token: tokens?.[i] ?? token, telemetry: telemetry ? hostTelemetry(i, gpus) : undefined };
  });
  const byId = new Map(agents.map((a) => [a.nodeId, a]));
  // The real agent resamples its telemetry every 5 s (worker-agent/telemetry/telemetry-sampler.ts) and sends
  // the latest sample with every heartbeat: a new object per agent every 5 s, the same one in between.
  const resample = telemetry ? setInterval(() => {
    for (const [i, a] of agents.entries()) a.telemetry = hostTelemetry(i, gpus);
  }, 5000) : undefined;

  async function register(a) {
    let res = { status: 0 };
    // A connection refused or reset on a loaded box (status 0) is retried, as the real agent does with backoff.
    for (let attempt = 0; attempt < 5 && res.status === 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * attempt));
      res = await post("/v2/nodes/register", { node_id: a.nodeId, machine_id: `sim-${a.nodeId}`, address: `${base}/n/${a.nodeId}`, pools: [a.poolId], capabilities: { gpus: [], cpu_cores: 1 }, version: "sim", models: [model] }, a.token, a.http);
    }
    if (res.status !== 200) throw new Error(`register ${a.nodeId} failed: ${res.status} ${JSON.stringify(res.json)}`);
    a.intervalMs = res.json.next_heartbeat_ms;
  }

  async function beat(a) {
    a.timer = null;
    if (!running || a.paused) return;
    const t0 = performance.now();
    const sentAt = Date.now();
    // How late this process fired the beat's timer (the load generator's own lag, not the orchestrator's).
    if (a.dueAt > 0) stats.timerLateMs.push(sentAt - a.dueAt);
    // Recorded when sent (answered: Infinity until the answer comes), so a beat the orchestrator holds unread shows.
    const traced = a.beats === undefined ? undefined : [a.dueAt, sentAt, Infinity, 0];
    a.beats?.push(traced);
    // worker-agent/agent.ts buildHeartbeat: timestamp, pool snapshots, the latest telemetry sample (models only on change).
    const body = a.telemetry === undefined ? { timestamp: new Date().toISOString(), pools: [a.pool] } : { timestamp: new Date().toISOString(), pools: [a.pool], telemetry: a.telemetry };
    const res = await post(`/v2/nodes/${a.nodeId}/heartbeat`, body, a.token, a.http);
    if (!running || a.paused) return;
    if (traced !== undefined) [traced[2], traced[3]] = [Date.now(), res.status];
    stats.heartbeats++;
    stats.statuses.set(res.status, (stats.statuses.get(res.status) ?? 0) + 1);
    if (res.status === 200) {
      stats.latencies.push(performance.now() - t0);
      a.intervalMs = res.json.next_heartbeat_ms;
      stats.intervals.set(a.intervalMs, (stats.intervals.get(a.intervalMs) ?? 0) + 1);
    } else if (res.status === 404) {
      stats.reregistrations++;
      await register(a).catch(() => undefined);
    } else stats.failures++;
    // `fixedIntervalMs`: a careless agent that ignores the server-controlled interval.
    const delay = fixedIntervalMs ?? a.intervalMs;
    a.dueAt = Date.now() + delay;
    a.timer = setTimeout(() => void beat(a), delay);
  }

  // Register with bounded concurrency, then start each agent's heartbeat loop at a random phase.
  let next = 0;
  await Promise.all(Array.from({ length: registerConcurrency }, async () => {
    while (next < agents.length) {
      const a = agents[next++];
      await register(a);
      await beat(a); // the first heartbeat makes it Online
    }
  }));

  return {
    modelName,
    sha256,
    nodeIds: agents.map((a) => a.nodeId),
    stats,
    /** With `trace`: node id → its beats as [timer due, sent, answered, status] (wall clock ms). */
    beats: (nodeId) => byId.get(nodeId)?.beats ?? [],
    /** Stops (false) or resumes (true) agent `i`'s heartbeats (a flapping node). */
    setBeating(i, on) {
      const a = agents[i];
      if (!on) {
        if (a.timer) clearTimeout(a.timer);
        a.timer = null;
        a.paused = true;
      } else if (a.paused) {
        a.paused = false;
        void beat(a);
      }
    },
    /** Forgets the latencies recorded so far (the start of a measured window). */
    resetStats() {
      stats.latencies = [];
      stats.timerLateMs = [];
      stats.heartbeats = 0;
      stats.failures = 0;
      stats.reregistrations = 0;
      stats.intervals = new Map();
      stats.calls = 0;
      stats.wrongToken = 0;
      stats.infers = new Map();
      stats.statuses = new Map();
    },
    async stop() {
      running = false;
      clearInterval(watchPing);
      clearInterval(resample);
      for (const a of agents) if (a.timer) clearTimeout(a.timer);
      for (const res of watches) res.destroy();
      for (const a of agents) a.http?.destroy();
      agent?.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A streaming node for the proxy benchmarks: one pool with `slots` slots whose infer endpoint answers
 * the worker protocol's task stream — `started`, one `token` frame per tick for every open stream (one
 * timer for all of them, like a batched engine), a keep-alive comment every second, then `end` after
 * `max_tokens` — so the orchestrator proxies a realistic frame sequence at a known, paced rate.
 * `startedAt` per request is recorded so the caller can also stream the same node directly.
 */
export async function startStreamingNode({ orchUrl, token, nodeId, poolId, modelName, slots = 64, tokenIntervalMs = 10 }) {
  const sha256 = createHash("sha256").update(modelName).digest("hex");
  const streams = new Set();
  const watches = new Set();
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    if (url === "/health") return void res.end(JSON.stringify({ status: "ok", version: "sim", node_id: nodeId }));
    if (url === "/v2/watch") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": watching\n\n");
      watches.add(res);
      res.on("close", () => watches.delete(res));
      return;
    }
    if (url.endsWith("/status")) return void res.end(JSON.stringify({ pool_id: poolId, state: "ready", ready: true, draining: false, slots_total: slots, slots_free: slots - streams.size, model: { sha256, name: modelName }, engine: "sim", last_error: null }));
    if (/\/v2\/tasks\/[^/]+\/cancel$/.test(url)) return void res.writeHead(204).end();
    if (url.endsWith("/infer")) {
      acceptInfer(req, res, { nodeId, poolId, sha256 }, (body) => {
        const s = { res, i: 0, max: body.max_tokens ?? 16, t0: performance.now() };
        streams.add(s);
        res.on("close", () => streams.delete(s));
      });
      return;
    }
    res.statusCode = 404;
    res.end("{}");
  });
  server.keepAliveTimeout = 60_000;
  const tick = setInterval(() => {
    for (const s of streams) {
      if (s.i < s.max) {
        s.res.write(`event: token\ndata: {"t":" tok${s.i % 10}","i":${s.i}}\n\n`);
        s.i++;
      }
      if (s.i >= s.max) {
        const ms = Math.round(performance.now() - s.t0);
        s.res.end(`event: end\ndata: {"tokens_out":${s.i},"decode_ms":${ms},"decode_time_ms":${ms},"stop_reason":"max_tokens","tokens_in":2}\n\n`);
        streams.delete(s);
      }
    }
  }, tokenIntervalMs);
  const keepAlive = setInterval(() => {
    for (const s of streams) s.res.write(": keep-alive\n\n");
    // Watches get the real worker's 1 s ping too: the orchestrator fails a silent watch.
    for (const w of watches) w.write(": ping\n\n");
  }, 1000);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = `http://127.0.0.1:${server.address().port}`;
  const model = { sha256, name: modelName, file_name: `${modelName}.gguf`, size_bytes: 1024, has_chat_template: false, context_length: 4096 };
  const pool = () => ({ pool_id: poolId, ready: true, draining: false, slots_free: slots, slots_total: slots, vram_free_bytes: 0, engine: "sim", device_mask: "cpu", models_available: [sha256], model: { sha256, name: modelName } });
  const post = (path, body) => fetch(`${orchUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const reg = await post("/v2/nodes/register", { node_id: nodeId, machine_id: `sim-${nodeId}`, address, pools: [poolId], capabilities: { gpus: [], cpu_cores: 1 }, version: "sim", models: [model] });
  if (!reg.ok) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
  const beat = () => post(`/v2/nodes/${nodeId}/heartbeat`, { timestamp: new Date().toISOString(), pools: [pool()], models: [model] }).catch(() => undefined);
  await beat();
  const timer = setInterval(beat, 1000);
  return {
    address,
    poolId,
    modelName,
    sha256,
    async stop() {
      clearInterval(timer);
      clearInterval(tick);
      clearInterval(keepAlive);
      for (const s of streams) s.res.destroy();
      for (const w of watches) w.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

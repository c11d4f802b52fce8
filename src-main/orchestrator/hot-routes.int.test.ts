// The node:http fast path (src-node/hot-routes.ts) answers POST /v2/tasks, POST /v2/nodes/{id}/heartbeat,
// POST /v1/chat/completions, POST /v1/completions and GET /v1/models exactly as express does. Two real orchestrators, one with the fast path and one without, get the same
// requests in the same order over raw HTTP (so chunking, Content-Length and headers are ours to set); every
// answer must match in status, body and headers, and the fast one must say which requests it took itself.
import { createServer, request, type Server, type ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import type { HeartbeatRequest } from "../../src-shared/nodes/heartbeat.js";
import type { RegisterNodeRequest } from "../../src-shared/nodes/node-registration.js";
import type { Scope } from "../../src-shared/auth/scopes.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { startTestOrchestrator, TEST_AUTH_FAILURE_LIMITS, TEST_TOKEN, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

interface Side {
  orch: TestOrchestrator;
  /** Keys by name, created on this orchestrator (values differ between the two; names do not). */
  keys: Record<string, string>;
  /** operationIds the fast path took, in order (the fast side only). */
  served: string[];
}

interface RawRequest {
  method: string;
  path: string;
  /** Which key authorises it: a name in Side.keys, "token" (the configured admin token) or none. */
  auth?: string;
  headers?: Record<string, string>;
  /** Sent with Content-Length; `chunks` instead sends each piece as a chunk of a chunked body. */
  body?: string | Buffer;
  chunks?: string[];
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const SHA = "a".repeat(64);
const SESSION = "00000000-0000-4000-8000-00000000a000";
/** A fixed UUID per case number, the same on both sides. */
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function send(side: Side, req: RawRequest): Promise<RawResponse> {
  const url = new URL(side.orch.url);
  const token = req.auth === undefined ? undefined : req.auth === "token" ? TEST_TOKEN : side.keys[req.auth];
  const headers: Record<string, string> = { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...req.headers };
  if (req.body !== undefined) headers["content-length"] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    // A fresh connection each time: a refused credential closes its connection.
    const r = request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString("utf8") }));
      res.on("error", reject);
    });
    r.on("error", reject);
    if (req.chunks !== undefined) {
      for (const c of req.chunks) r.write(c);
      r.end();
    } else {
      r.end(req.body);
    }
  });
}

/**
 * Times (fields and headers in ms; OpenAI's `created`, the Unix second each orchestrator started) depend on
 * when each side ran: equal in presence and type, not value.
 */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, (k.endsWith("_ms") || k === "created") && typeof v === "number" ? "<time>" : withoutTimes(v)]));
}

/** What must be equal: status, body and every header but date, the fresh correlation id and times. */
function comparable(res: RawResponse): unknown {
  const headers = Object.fromEntries(
    Object.entries(res.headers)
      .filter(([k]) => k !== "date" && k !== "x-correlation-id" && k !== "x-request-id" && k !== "request-id")
      .map(([k, v]) => [k, k.startsWith("x-budget-") ? "<ms>" : v]),
  );
  const isJson = (res.headers["content-type"] ?? "").includes("json") && res.body !== "";
  // Times change a JSON body's length (a HEAD's too, which has none to compare); bodies are compared below.
  if ((res.headers["content-type"] ?? "").includes("json")) delete headers["content-length"];
  return { status: res.status, headers, body: isJson ? withoutTimes(JSON.parse(res.body)) : res.body, correlationId: typeof res.headers["x-correlation-id"] === "string" };
}

function task(id: string): Record<string, unknown> {
  return { task_id: id, session_id: SESSION, workload: "completion", model_ref: "model-a", engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "hi", max_tokens: 8, deadline_ms: 600_000 };
}

function registration(address: string): RegisterNodeRequest {
  return { node_id: "n1", machine_id: "n1-host", address, pools: ["n1-p0"], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" };
}

/**
 * The node both orchestrators register: its watch stays open (pinged each second, as the worker does)
 * and its one slot takes the first task and holds it (a stream kept alive, never a token), so the node
 * stays Online and every later task waits in the queue.
 */
function startNode(): { server: Server; watches: Set<ServerResponse>; timer: NodeJS.Timeout } {
  const watches = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (req.url === "/v2/watch" || req.url?.endsWith("/infer") === true) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": watching\n\n");
      watches.add(res);
      res.on("close", () => watches.delete(res));
      return;
    }
    if (req.url?.endsWith("/status")) return void res.end(JSON.stringify({ pool_id: "n1-p0", state: "ready", ready: true, draining: false, slots_total: 1, slots_free: 0, model: { sha256: SHA, name: "model-a" }, engine: "llamacpp", last_error: null }));
    if (req.url === "/health") return void res.end(JSON.stringify({ status: "ok", version: "test", node_id: "n1" }));
    res.statusCode = 404;
    res.end("{}");
  });
  const timer = setInterval(() => {
    for (const w of watches) w.write(": ping\n\n");
  }, 1000);
  return { server, watches, timer };
}
function heartbeat(): HeartbeatRequest {
  return {
    timestamp: "2026-11-29T12:00:00.000Z",
    // No free slot: admitted tasks wait in the queue, so both sides see the same queue.
    pools: [{ pool_id: "n1-p0", ready: true, draining: false, slots_free: 0, slots_total: 1, vram_free_bytes: 0, engine: "llamacpp", device_mask: "cpu", models_available: [SHA], model: { sha256: SHA, name: "model-a" } }],
    models: [{ sha256: SHA, name: "model-a", file_name: "model-a.gguf", size_bytes: 1000, has_chat_template: false }],
  };
}

const json = { "content-type": "application/json" };
const oversized = JSON.stringify({ ...task(uuid(999)), prompt: "x".repeat(1024 * 1024) });

/** Each case and whether the fast path takes it (false: express does, on both sides). */
const CASES: { name: string; fast: boolean; req: RawRequest }[] = [
  { name: "admission → 202", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, body: JSON.stringify(task(uuid(1))) } },
  { name: "admission with an inference key → 202", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "inference", headers: json, body: JSON.stringify(task(uuid(2))) } },
  { name: "chunked body → 202", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, chunks: [JSON.stringify(task(uuid(3))).slice(0, 20), JSON.stringify(task(uuid(3))).slice(20, 60), JSON.stringify(task(uuid(3))).slice(60)] } },
  { name: "query string → 400 (the route takes none)", fast: true, req: { method: "POST", path: "/v2/tasks?x=1", auth: "token", headers: json, body: JSON.stringify(task(uuid(4))) } },
  { name: "charset=utf-8 → 202", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: { "content-type": "application/json; charset=UTF-8" }, body: JSON.stringify(task(uuid(5))) } },
  { name: "no Content-Type → 202", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", body: JSON.stringify(task(uuid(6))) } },
  { name: "UTF-8 BOM → 202", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, body: `\uFEFF${JSON.stringify(task(uuid(7)))}` } },
  { name: "Idempotency-Key, first → 202", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: { ...json, "idempotency-key": "k-1" }, body: JSON.stringify(task(uuid(8))) } },
  { name: "Idempotency-Key, replay → 202 replayed", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: { ...json, "idempotency-key": "k-1" }, body: JSON.stringify(task(uuid(9))) } },
  { name: "bad Idempotency-Key → 400", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: { ...json, "idempotency-key": "a b" }, body: JSON.stringify(task(uuid(10))) } },
  { name: "duplicate task id → 409", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, body: JSON.stringify(task(uuid(1))) } },
  { name: "trailing slash (express)", fast: false, req: { method: "POST", path: "/v2/tasks/", auth: "token", headers: json, body: JSON.stringify(task(uuid(11))) } },
  { name: "upper-case path (express)", fast: false, req: { method: "POST", path: "/V2/TASKS", auth: "token", headers: json, body: JSON.stringify(task(uuid(12))) } },
  { name: "gzip body (express)", fast: false, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: { ...json, "content-encoding": "gzip" }, body: gzipSync(JSON.stringify(task(uuid(13)))) } },
  { name: "charset=latin1 (express) → 415", fast: false, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: { "content-type": "application/json; charset=latin1" }, body: JSON.stringify(task(uuid(14))) } },
  { name: "wrong Content-Type → 415", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: { "content-type": "text/plain" }, body: JSON.stringify(task(uuid(15))) } },
  { name: "oversized body with Content-Length → 413", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, body: oversized } },
  { name: "oversized chunked body → 413", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, chunks: [oversized.slice(0, 600_000), oversized.slice(600_000)] } },
  { name: "malformed JSON → 400", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, body: `{"task_id": "${uuid(16)}",` } },
  { name: "empty body → 400", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, body: "" } },
  { name: "JSON that breaks the schema → 400", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, body: JSON.stringify({ ...task(uuid(17)), ctx: "big" }) } },
  { name: "JSON that is not an object → 400", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, body: "42" } },
  { name: "unknown model → error envelope", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: json, body: JSON.stringify({ ...task(uuid(18)), model_ref: "no-such-model" }) } },
  { name: "missing auth → 401", fast: true, req: { method: "POST", path: "/v2/tasks", headers: json, body: JSON.stringify(task(uuid(19))) } },
  { name: "wrong token → 401", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "bogus", headers: json, body: JSON.stringify(task(uuid(20))) } },
  { name: "worker key (wrong scope) → 403", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "worker", headers: json, body: JSON.stringify(task(uuid(21))) } },
  { name: "foreign Host → 403", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: { ...json, host: "evil.example" }, body: JSON.stringify(task(uuid(22))) } },
  { name: "foreign Origin → 403", fast: true, req: { method: "POST", path: "/v2/tasks", auth: "token", headers: { ...json, origin: "http://evil.example" }, body: JSON.stringify(task(uuid(23))) } },
  { name: "GET /v2/tasks (express)", fast: false, req: { method: "GET", path: "/v2/tasks?limit=1", auth: "token" } },
  { name: "HEAD /v2/tasks (express)", fast: false, req: { method: "HEAD", path: "/v2/tasks?limit=1", auth: "token" } },
  { name: "PUT /v2/tasks (express) → 405", fast: false, req: { method: "PUT", path: "/v2/tasks", auth: "token", headers: json, body: "{}" } },
  { name: "heartbeat → 200", fast: true, req: { method: "POST", path: "/v2/nodes/n1/heartbeat", auth: "worker", headers: json, body: JSON.stringify(heartbeat()) } },
  { name: "heartbeat, chunked → 200", fast: true, req: { method: "POST", path: "/v2/nodes/n1/heartbeat", auth: "worker", headers: json, chunks: [JSON.stringify(heartbeat()).slice(0, 50), JSON.stringify(heartbeat()).slice(50)] } },
  { name: "heartbeat, unknown node → 404", fast: true, req: { method: "POST", path: "/v2/nodes/n2/heartbeat", auth: "worker", headers: json, body: JSON.stringify(heartbeat()) } },
  { name: "heartbeat, another credential's node → 409", fast: true, req: { method: "POST", path: "/v2/nodes/n1/heartbeat", auth: "worker2", headers: json, body: JSON.stringify(heartbeat()) } },
  { name: "heartbeat, missing auth → 401", fast: true, req: { method: "POST", path: "/v2/nodes/n1/heartbeat", headers: json, body: JSON.stringify(heartbeat()) } },
  { name: "heartbeat, inference key (wrong scope) → 403", fast: true, req: { method: "POST", path: "/v2/nodes/n1/heartbeat", auth: "inference", headers: json, body: JSON.stringify(heartbeat()) } },
  { name: "heartbeat, malformed JSON → 400", fast: true, req: { method: "POST", path: "/v2/nodes/n1/heartbeat", auth: "worker", headers: json, body: "{" } },
  { name: "heartbeat, wrong Content-Type → 415", fast: true, req: { method: "POST", path: "/v2/nodes/n1/heartbeat", auth: "worker", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1" } },
  { name: "heartbeat, oversized → 413", fast: true, req: { method: "POST", path: "/v2/nodes/n1/heartbeat", auth: "worker", headers: json, body: oversized } },
  { name: "heartbeat, schema violation → 400", fast: true, req: { method: "POST", path: "/v2/nodes/n1/heartbeat", auth: "worker", headers: json, body: JSON.stringify({ pools: "none" }) } },
  { name: "heartbeat, invalid node id → 400", fast: true, req: { method: "POST", path: `/v2/nodes/${"x".repeat(300)}/heartbeat`, auth: "worker", headers: json, body: JSON.stringify(heartbeat()) } },
  { name: "heartbeat, percent-escaped id (express)", fast: false, req: { method: "POST", path: "/v2/nodes/n%31/heartbeat", auth: "worker", headers: json, body: JSON.stringify(heartbeat()) } },
  { name: "heartbeat, trailing slash (express)", fast: false, req: { method: "POST", path: "/v2/nodes/n1/heartbeat/", auth: "worker", headers: json, body: JSON.stringify(heartbeat()) } },
  { name: "GET heartbeat (express) → 405", fast: false, req: { method: "GET", path: "/v2/nodes/n1/heartbeat", auth: "worker" } },
  // OpenAI completions: the error paths in OpenAI's error shape. Their answers with tokens run through
  // the fast path in the real-client suites (openai-compat, compat-tools, idempotent-compat, …).
  { name: "chat completion, missing auth → 401", fast: true, req: { method: "POST", path: "/v1/chat/completions", headers: json, body: JSON.stringify({ model: "model-a", messages: [{ role: "user", content: "hi" }] }) } },
  { name: "chat completion, worker key (wrong scope) → 403", fast: true, req: { method: "POST", path: "/v1/chat/completions", auth: "worker", headers: json, body: JSON.stringify({ model: "model-a", messages: [{ role: "user", content: "hi" }] }) } },
  { name: "chat completion, malformed JSON → 400", fast: true, req: { method: "POST", path: "/v1/chat/completions", auth: "inference", headers: json, body: '{"model": "model-a",' } },
  { name: "chat completion, schema violation → 400", fast: true, req: { method: "POST", path: "/v1/chat/completions", auth: "inference", headers: json, body: JSON.stringify({ model: "model-a", messages: "hi" }) } },
  { name: "chat completion, unknown parameter → 400", fast: true, req: { method: "POST", path: "/v1/chat/completions", auth: "inference", headers: json, body: JSON.stringify({ model: "model-a", messages: [{ role: "user", content: "hi" }], temprature: 0.5 }) } },
  { name: "chat completion, unknown model → 404", fast: true, req: { method: "POST", path: "/v1/chat/completions", auth: "inference", headers: json, body: JSON.stringify({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] }) } },
  { name: "chat completion, wrong Content-Type → 415", fast: true, req: { method: "POST", path: "/v1/chat/completions", auth: "inference", headers: { "content-type": "text/plain" }, body: "hi" } },
  { name: "chat completion, oversized → 413", fast: true, req: { method: "POST", path: "/v1/chat/completions", auth: "inference", headers: json, body: JSON.stringify({ model: "model-a", messages: [{ role: "user", content: "x".repeat(8 * 1024 * 1024) }] }) } },
  { name: "chat completion, trailing slash (express)", fast: false, req: { method: "POST", path: "/v1/chat/completions/", auth: "inference", headers: json, body: "{}" } },
  { name: "completion, foreign Origin → 403", fast: true, req: { method: "POST", path: "/v1/completions", auth: "inference", headers: { ...json, origin: "http://evil.example" }, body: JSON.stringify({ model: "model-a", prompt: "hi" }) } },
  { name: "completion, missing prompt → 400", fast: true, req: { method: "POST", path: "/v1/completions", auth: "inference", headers: json, body: JSON.stringify({ model: "model-a" }) } },
  { name: "GET /v1/completions (express) → 405", fast: false, req: { method: "GET", path: "/v1/completions", auth: "inference" } },
  // The model list (the routing floor): served from a list rendered once per model set.
  { name: "model list → 200", fast: true, req: { method: "GET", path: "/v1/models", auth: "inference" } },
  { name: "model list again (the cached rendering) → 200", fast: true, req: { method: "GET", path: "/v1/models", auth: "token" } },
  { name: "model list, query string → 200", fast: true, req: { method: "GET", path: "/v1/models?limit=1", auth: "inference" } },
  { name: "model list, missing auth → 401", fast: true, req: { method: "GET", path: "/v1/models" } },
  { name: "model list, wrong token → 401", fast: true, req: { method: "GET", path: "/v1/models", auth: "bogus" } },
  { name: "model list, worker key (wrong scope) → 403", fast: true, req: { method: "GET", path: "/v1/models", auth: "worker" } },
  { name: "model list, foreign Host → 403", fast: true, req: { method: "GET", path: "/v1/models", auth: "inference", headers: { host: "evil.example" } } },
  { name: "model list, allowed Origin (CORS headers)", fast: true, req: { method: "GET", path: "/v1/models", auth: "inference", headers: { origin: "http://localhost:5173" } } },
  { name: "model list, If-None-Match: * → 304 (express's freshness check)", fast: true, req: { method: "GET", path: "/v1/models", auth: "inference", headers: { "if-none-match": "*" } } },
  { name: "model list, If-Modified-Since", fast: true, req: { method: "GET", path: "/v1/models", auth: "inference", headers: { "if-modified-since": "Sun, 29 Nov 2026 12:00:00 GMT" } } },
  { name: "model list, with a body → 200", fast: true, req: { method: "GET", path: "/v1/models", auth: "inference", headers: json, body: "{}" } },
  { name: "HEAD model list (express)", fast: false, req: { method: "HEAD", path: "/v1/models", auth: "inference" } },
  { name: "model list, trailing slash (express)", fast: false, req: { method: "GET", path: "/v1/models/", auth: "inference" } },
  { name: "POST model list (express) → 405", fast: false, req: { method: "POST", path: "/v1/models", auth: "inference", headers: json, body: "{}" } },
];

let fast: Side;
const seen = new Set<number>();
let reference: Side;

let node: ReturnType<typeof startNode>;

async function prepare(side: Side, address: string): Promise<void> {
  const key = async (name: string, scopes: Scope[]) => {
    const res = await side.orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name, scopes }) });
    side.keys[name] = CreatedApiKeySchema.parse(await res.json()).key;
  };
  await key("inference", ["inference"]);
  await key("worker", ["worker"]);
  await key("worker2", ["worker"]);
  side.keys.bogus = "bogus-token-bogus-token-bogus-token-000";
  const reg = await side.orch.api("/v2/nodes/register", { method: "POST", headers: { authorization: `Bearer ${side.keys.worker}` }, body: JSON.stringify(registration(address)) });
  expect(reg.status).toBe(200);
}

beforeAll(async () => {
  node = startNode();
  await new Promise<void>((resolve) => node.server.listen(0, "127.0.0.1", resolve));
  const address = `http://127.0.0.1:${(node.server.address() as { port: number }).port}`;
  // Only the cases' heartbeats reach the orchestrators, so the node must not turn Suspect between them.
  const config = { pool_probe_interval_ms: 0, node_suspect_ms: 120_000, node_timeout_ms: 240_000 };
  const served: string[] = [];
  fast = { orch: await startTestOrchestrator(config, undefined, { authFailureLimits: TEST_AUTH_FAILURE_LIMITS, onHotRoute: (id) => served.push(id) }), keys: {}, served };
  reference = { orch: await startTestOrchestrator(config, undefined, { authFailureLimits: TEST_AUTH_FAILURE_LIMITS, hotRoutes: false }), keys: {}, served: [] };
  await prepare(fast, address);
  await prepare(reference, address);
  // The model is known once a heartbeat brings it (same request on both sides, through the path under test).
  expect((await send(fast, CASES.find((c) => c.name === "heartbeat → 200")?.req as RawRequest)).status).toBe(200);
  expect((await send(reference, CASES.find((c) => c.name === "heartbeat → 200")?.req as RawRequest)).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await fast.orch.close();
  await reference.orch.close();
  clearInterval(node.timer);
  for (const w of node.watches) w.destroy();
  node.server.closeAllConnections();
  await new Promise((resolve) => node.server.close(resolve));
});

describe("hot routes: the node:http fast path answers as express does", () => {
  // In order: later cases (replay, duplicate id) depend on earlier ones, on both sides alike.
  for (const c of CASES) {
    it(c.name, async () => {
      const before = fast.served.length;
      const a = await send(fast, c.req);
      const b = await send(reference, c.req);
      expect(comparable(a)).toEqual(comparable(b));
      seen.add(a.status);
      expect(fast.served.length - before).toBe(c.fast ? 1 : 0);
      expect(reference.served).toEqual([]);
    });
  }

  it("the cases above met every status the fast path must reproduce", () => {
    for (const s of [200, 202, 304, 400, 401, 403, 404, 405, 409, 413, 415]) expect(seen).toContain(s);
  });
});

// The queue above is what the scheduler skips whole passes over (every queued model's only holder is
// full, no deadline due): a task whose deadline passes while it waits there must still fail with DEADLINE_UNMET.
describe("a queue whose every task must wait", () => {
  it("still fails a queued task whose deadline passes", async () => {
    const res = await send(fast, { method: "POST", path: "/v2/tasks", auth: "token", headers: json, body: JSON.stringify({ ...task(uuid(90)), deadline_ms: 1500 }) });
    expect(res.status).toBe(202);
    const status = await waitFor(
      async () => TaskStatusSchema.parse(await (await fast.orch.api(`/v2/tasks/${uuid(90)}`)).json()),
      (s) => s.state !== "queued",
      15_000,
      100,
    );
    expect(status.state).toBe("failed");
    expect(status.error?.code).toBe("DEADLINE_UNMET");
    // The long-deadline tasks queued with it are still waiting.
    const other = TaskStatusSchema.parse(await (await fast.orch.api(`/v2/tasks/${uuid(2)}`)).json());
    expect(other.state).toBe("queued");
  });
});

// The model list is rendered once per model set: a heartbeat that brings another model must show in it at once.
describe("the model list's rendering follows the registry", () => {
  it("lists a model a heartbeat brings, on both paths alike", async () => {
    const list = { method: "GET", path: "/v1/models", auth: "inference" };
    const ids = (res: RawResponse) => (JSON.parse(res.body) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids(await send(fast, list))).toEqual(["model-a"]);
    const more = heartbeat();
    const b = { sha256: "b".repeat(64), name: "model-b", file_name: "model-b.gguf", size_bytes: 2000, has_chat_template: false };
    more.models = [...(more.models ?? []), b];
    more.pools = more.pools.map((p) => ({ ...p, models_available: [...p.models_available, b.sha256] }));
    const beat = { method: "POST", path: "/v2/nodes/n1/heartbeat", auth: "worker", headers: json, body: JSON.stringify(more) };
    for (const side of [fast, reference]) expect((await send(side, beat)).status).toBe(200);
    const a = await send(fast, list);
    expect(ids(a).sort()).toEqual(["model-a", "model-b"]);
    expect(comparable(a)).toEqual(comparable(await send(reference, list)));
  });
});

// Heartbeats are counted by node and outcome in Maps and added to the counter when it is read
// (src-node/deferred-counts.ts): after the same requests, both paths show the same series and values.
describe("heartbeat counts", () => {
  it("orchd_node_heartbeats_total is the same on both paths after the same heartbeats, and counts them", async () => {
    const series = async (side: Side) =>
      (await (await side.orch.api("/metrics")).text())
        .split("\n")
        .filter((line) => line.startsWith("orchd_node_heartbeats_total{"))
        .sort();
    const a = await series(fast);
    expect(a).toEqual(await series(reference));
    expect(a.some((line) => /node_id="n1",outcome="success"\} [1-9]/.test(line))).toBe(true);
    // One more accepted heartbeat on each side: the next scrape shows it once, not again on the scrape after.
    const count = (lines: string[]) => Number(/ (\d+)$/.exec(lines.find((l) => l.includes('node_id="n1",outcome="success"')) ?? "")?.[1]);
    const before = count(a);
    const beat = { method: "POST", path: "/v2/nodes/n1/heartbeat", auth: "worker", headers: json, body: JSON.stringify(heartbeat()) };
    for (const side of [fast, reference]) expect((await send(side, beat)).status).toBe(200);
    expect(count(await series(fast))).toBe(before + 1);
    expect(count(await series(fast))).toBe(before + 1);
    expect(await series(fast)).toEqual(await series(reference));
  });
});

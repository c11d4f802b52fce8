// The worker API against its contract, route by route from WORKER_ROUTES, on a real agent process
// with generated tiny models: every success status and body schema exactly as declared, and for
// every declared error status at least one real request that gets it (with the error envelope).
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_MEDIA_TYPE, type RouteSpec } from "../../src-shared/contract/route-spec.js";
import { WORKER_ROUTES } from "../../src-shared/contract/worker-routes.js";
import { httpStatusForCode } from "../../src-shared/errors/error-codes.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { readSseEvents } from "../../src-shared/streaming/read-sse.js";
import type { SseEvent } from "../../src-shared/streaming/sse-events.js";
import type { PoolStatus } from "../../src-shared/worker-api/pool-status.js";
import { testModelPath } from "../../test-support/models.js";
import { getJson, killAllWorkers, startWorker, TEST_TOKEN, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";

let worker: StartedWorker;
const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const jsonHeaders = { ...auth, "content-type": "application/json" };

beforeAll(async () => {
  worker = await startWorker({
    models: { "tiny.gguf": testModelPath("tiny"), "tiny-b.gguf": testModelPath("tiny-b"), "medium.gguf": testModelPath("medium") },
    config: {
      node_id: "contract-node",
      catalog_poll_ms: 60_000,
      pools: [
        // The medium model's 4096-token context lets a task stream for seconds (see withLongTask).
        { id: "a", model: "medium.gguf", device: "cpu", slots: 2 },
        { id: "r", model: "tiny.gguf", device: "cpu", slots: 1 },
        // Its model is not in the models dir, so it never becomes ready.
        { id: "gone", model: "missing.gguf", device: "cpu", slots: 1 },
      ],
    },
  });
  for (const pool of ["a", "r"]) await waitFor(() => getJson<PoolStatus>(`${worker.url}/v2/pools/${pool}/status`), (s) => s.body.ready, 30_000);
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  hangingSource?.closeAllConnections();
  hangingSource?.close();
});

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(method: string, path: string, headers: Record<string, string>, body?: string | Uint8Array<ArrayBuffer>): Promise<Answer> {
  const res = await fetch(`${worker.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() };
}

const post = (path: string, body: unknown, headers: Record<string, string> = jsonHeaders) => send("POST", path, headers, JSON.stringify(body));

const sha256Of = async (path: string): Promise<string> => createHash("sha256").update(await readFile(path)).digest("hex");

/** One real request per declared status of each route, keyed by operationId then status. */
const cases: Record<string, Record<number, () => Promise<Answer>>> = {
  getHealth: { 200: () => send("GET", "/health", {}) },
  // The shortest hang the agent takes; every later request just waits half a second for it.
  simulateHang: {
    202: () => post("/v2/faults/hang", { hang_ms: 500 }),
    400: () => post("/v2/faults/hang", { hang_ms: 60_000 }),
    413: () => post("/v2/faults/hang", { hang_ms: 500, pad: "x".repeat(1024 * 1024 + 1) }),
    415: () => send("POST", "/v2/faults/hang", { ...auth, "content-type": "text/plain" }, JSON.stringify({ hang_ms: 500 })),
  },
  getMetrics: { 200: () => send("GET", "/metrics", auth) },
  listPools: { 200: () => send("GET", "/v2/pools", auth) },
  getPoolDiagnostics: { 200: () => send("GET", "/v2/pools/a/diagnostics", auth), 404: () => send("GET", "/v2/pools/none/diagnostics", auth) },
  getPoolStatus: { 200: () => send("GET", "/v2/pools/a/status", auth), 404: () => send("GET", "/v2/pools/none/status", auth) },
  watchNode: {
    200: async () => {
      const controller = new AbortController();
      const res = await fetch(`${worker.url}/v2/watch`, { headers: auth, signal: controller.signal });
      controller.abort();
      return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: "" };
    },
  },
  inferOnPool: {
    200: () => post("/v2/pools/a/infer", { task_id: "contract-infer", prompt: "Hello", max_tokens: 3 }),
    400: () => post("/v2/pools/a/infer", { task_id: "contract-400", max_tokens: 3 }),
    404: () => post("/v2/pools/none/infer", { task_id: "contract-404", prompt: "Hello", max_tokens: 3 }),
    409: () => withLongTask("contract-dup", () => post("/v2/pools/a/infer", { task_id: "contract-dup", prompt: "Hello", max_tokens: 3 })),
    413: () => post("/v2/pools/a/infer", { task_id: "contract-413", prompt: "x".repeat(1024 * 1024 + 1), max_tokens: 3 }),
    415: () => send("POST", "/v2/pools/a/infer", { ...auth, "content-type": "text/plain" }, JSON.stringify({ task_id: "contract-415", prompt: "Hello", max_tokens: 3 })),
    503: () => post("/v2/pools/gone/infer", { task_id: "contract-503", prompt: "Hello", max_tokens: 3 }),
  },
  cancelTask: {
    204: () => withLongTask("contract-cancel", () => send("POST", "/v2/tasks/contract-cancel/cancel", auth)),
    404: () => send("POST", "/v2/tasks/none/cancel", auth),
  },
  drainPool: {
    202: () => post("/v2/pools/gone/drain", { deadline_ms: 1000 }),
    400: () => post("/v2/pools/gone/drain", { deadline_ms: "soon" }),
    404: () => post("/v2/pools/none/drain", { deadline_ms: 1000 }),
  },
  reloadPool: {
    202: () => post("/v2/pools/r/reload", { model: "tiny-b.gguf", drain_deadline_ms: 1000 }),
    400: () => post("/v2/pools/r/reload", { model: 5 }),
    404: () => post("/v2/pools/none/reload", { model: "tiny-b.gguf" }),
    // Two reloads back to back: the second finds the pool still reloading.
    409: async () => {
      await post("/v2/pools/r/reload", { model: "tiny.gguf", drain_deadline_ms: 1000 });
      return post("/v2/pools/r/reload", { model: "tiny-b.gguf" });
    },
  },
  listModels: { 200: () => send("GET", "/v2/models", auth) },
  receiveModel: {
    200: async () => send("PUT", `/v2/models/${await sha256Of(testModelPath("tiny"))}`, { ...auth, "content-type": "application/octet-stream" }, new Uint8Array(await readFile(testModelPath("tiny")))),
    400: () => send("PUT", `/v2/models/${"c".repeat(64)}?file_name=../escape.gguf`, { ...auth, "content-type": "application/octet-stream" }, new Uint8Array(8)),
    409: () => send("PUT", `/v2/models/${"d".repeat(64)}?file_name=tiny.gguf`, { ...auth, "content-type": "application/octet-stream" }, new Uint8Array(8)),
    415: () => send("PUT", `/v2/models/${"e".repeat(64)}`, { ...auth, "content-type": "application/json" }, "{}"),
    507: () => send("PUT", `/v2/models/${"f".repeat(64)}`, { ...auth, "content-type": "application/octet-stream", "content-range": `bytes 0-7/${2 ** 52}` }, new Uint8Array(8)),
  },
  deleteModel: {
    204: async () => {
      const sha = await sha256Of(testModelPath("tiny-chatml"));
      await send("PUT", `/v2/models/${sha}?file_name=delete-me.gguf`, { ...auth, "content-type": "application/octet-stream" }, new Uint8Array(await readFile(testModelPath("tiny-chatml"))));
      return send("DELETE", `/v2/models/${sha}`, auth);
    },
    404: () => send("DELETE", `/v2/models/${"0".repeat(64)}`, auth),
    // Pool a is configured with medium.gguf.
    409: async () => send("DELETE", `/v2/models/${await sha256Of(testModelPath("medium"))}`, auth),
  },
  getModelContent: {
    200: async () => send("GET", `/v2/models/${await sha256Of(testModelPath("tiny"))}/content`, auth),
    206: async () => send("GET", `/v2/models/${await sha256Of(testModelPath("tiny"))}/content`, { ...auth, range: "bytes=10-99" }),
    400: async () => send("GET", `/v2/models/${await sha256Of(testModelPath("tiny"))}/content`, { ...auth, range: `bytes=${2 ** 40}-` }),
    404: () => send("GET", `/v2/models/${"0".repeat(64)}/content`, auth),
  },
  startModelPull: {
    // Already present: the pull is complete at once.
    202: async () => post(`/v2/models/${await sha256Of(testModelPath("tiny"))}/pull`, pullBody("contract-pull-202")),
    400: () => post(`/v2/models/${"1".repeat(64)}/pull`, { ...pullBody("contract-pull-400"), file_name: "../escape.gguf" }),
    409: () => withHangingPull("3", () => post(`/v2/models/${"3".repeat(64)}/pull`, pullBody("another-job"))),
    413: () => post(`/v2/models/${"1".repeat(64)}/pull`, { ...pullBody("contract-pull-413"), job_id: "x".repeat(1024 * 1024 + 1) }),
    415: () => send("POST", `/v2/models/${"1".repeat(64)}/pull`, { ...auth, "content-type": "text/plain" }, JSON.stringify(pullBody("contract-pull-415"))),
    507: () => post(`/v2/models/${"1".repeat(64)}/pull`, { ...pullBody("contract-pull-507"), size_bytes: 2 ** 52 }),
  },
  getModelPull: {
    200: () => withHangingPull("4", () => send("GET", `/v2/models/${"4".repeat(64)}/pull`, auth)),
    404: () => send("GET", `/v2/models/${"2".repeat(64)}/pull`, auth),
  },
  cancelModelPull: { 204: () => send("DELETE", `/v2/models/${"5".repeat(64)}/pull`, auth) },
  useModelInPlace: {
    // The generated test model where it is (configured pools only: nothing loads it).
    202: () => post("/v2/models/in-place", { path: testModelPath("tiny-chatml") }),
    400: () => post("/v2/models/in-place", { path: "relative/model.gguf" }),
    413: () => post("/v2/models/in-place", { path: "/" + "x".repeat(1024 * 1024 + 1) }),
    415: () => send("POST", "/v2/models/in-place", { ...auth, "content-type": "text/plain" }, JSON.stringify({ path: "/x.gguf" })),
  },
};

/** A source that accepts connections and never answers: a pull from it stays running until canceled. */
let hangingSource: Server | undefined;
async function hangingSourceUrl(): Promise<string> {
  hangingSource ??= await new Promise<Server>((resolve) => {
    const server = createServer(() => undefined);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
  return `http://127.0.0.1:${(hangingSource.address() as AddressInfo).port}`;
}

function pullBody(jobId: string, sourceUrl = "http://127.0.0.1:9") {
  return { job_id: jobId, file_name: "pulled.gguf", size_bytes: 100, source: { node_id: "peer", url: sourceUrl, grant: "not-a-real-grant" }, bandwidth_limit_bytes_per_s: null };
}

/** Runs `during` while a pull of sha `digit`×64 hangs on its source; then cancels it. */
async function withHangingPull(digit: string, during: () => Promise<Answer>): Promise<Answer> {
  const sha = digit.repeat(64);
  const started = await post(`/v2/models/${sha}/pull`, pullBody(`hanging-${digit}`, await hangingSourceUrl()));
  expect(started.status, started.text).toBe(202);
  try {
    return await during();
  } finally {
    await send("DELETE", `/v2/models/${sha}/pull`, auth);
  }
}

/** Runs `during` while a long task with this id streams on pool a; then cancels it and checks it ended canceled. */
async function withLongTask(taskId: string, during: () => Promise<Answer>): Promise<Answer> {
  const res = await fetch(`${worker.url}/v2/pools/a/infer`, { method: "POST", headers: jsonHeaders, body: JSON.stringify({ task_id: taskId, prompt: "Hello", max_tokens: 4000 }) });
  if (res.body === null) throw new Error("no stream");
  const events: SseEvent[] = [];
  let answer: Answer | undefined;
  for await (const ev of readSseEvents(res.body)) {
    events.push(ev);
    if (ev.event === "token" && answer === undefined) {
      answer = await during();
      // Whatever `during` did, the task must not outlive the case.
      await fetch(`${worker.url}/v2/tasks/${taskId}/cancel`, { method: "POST", headers: auth });
    }
  }
  const last = events[events.length - 1];
  expect(last?.event === "end" && last.data.canceled).toBe(true);
  if (answer === undefined) throw new Error("the long task never streamed a token");
  return answer;
}

function successSchema(route: RouteSpec, status: number) {
  return route.responses[status]?.content?.[JSON_MEDIA_TYPE] ?? null;
}

describe("worker API contract (WORKER_ROUTES)", () => {
  it("has a case for every route and every declared status", () => {
    for (const route of WORKER_ROUTES) {
      const declared = [...Object.keys(route.responses), ...(route.errors ?? []).map(String)].sort();
      expect(Object.keys(cases[route.operationId] ?? {}).sort(), route.operationId).toEqual(declared);
    }
    expect(Object.keys(cases).sort()).toEqual(WORKER_ROUTES.map((r) => r.operationId).sort());
  });

  for (const route of WORKER_ROUTES) {
    for (const [statusText, media] of Object.entries(route.responses)) {
      const status = Number(statusText);
      it(`${route.method.toUpperCase()} ${route.path} → ${status} with the declared body`, async () => {
        const answer = await (cases[route.operationId]?.[status] as () => Promise<Answer>)();
        expect(answer.status, answer.text).toBe(status);
        const declaredTypes = Object.keys(media.content ?? {});
        if (declaredTypes.length === 0) {
          expect(answer.text).toBe("");
          return;
        }
        expect(declaredTypes.some((t) => answer.contentType.startsWith(t.split(";")[0] as string)), answer.contentType).toBe(true);
        const schema = successSchema(route, status);
        if (schema !== null) schema.parse(JSON.parse(answer.text));
        if (route.sse && answer.text !== "") {
          const events: SseEvent[] = [];
          for await (const ev of readSseEvents(new Response(answer.text).body as ReadableStream<Uint8Array>)) events.push(ev);
          expect(events[0]?.event).toBe("started");
          expect(events[events.length - 1]?.event).toBe("end");
        }
      });
    }
    for (const status of route.errors ?? []) {
      it(`${route.method.toUpperCase()} ${route.path} → ${status} with the error envelope`, async () => {
        const answer = await (cases[route.operationId]?.[status] as () => Promise<Answer>)();
        expect(answer.status, answer.text).toBe(status);
        const envelope = ErrorEnvelopeSchema.parse(JSON.parse(answer.text));
        expect(httpStatusForCode(envelope.code)).toBe(status);
      });
    }
  }
});

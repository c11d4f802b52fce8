import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "../../test-support/otlp-receiver.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

// OpenTelemetry across the two processes: a real orchestrator (OTEL_EXPORTER_OTLP_ENDPOINT form, via
// its config) and a real worker agent process (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and
// OTEL_SERVICE_NAME in its environment) export to one OTLP/HTTP JSON receiver; one chat completion
// must be one trace spanning both services with the expected parent links.

const MODEL = testModelName("tiny-chatml");
const NODE = "node-traced";
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
let receiver: OtlpReceiver;
let orch: TestOrchestrator;
let worker: WorkerProcess;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  orch = await startTestOrchestrator({ otel_exporter_otlp_endpoint: receiver.url, otel_service_name: "orch-under-test" });
  worker = await startWorkerProcess({
    nodeId: NODE,
    models: ["tiny-chatml"],
    orchestratorUrl: orch.url,
    token: orch.token,
    env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_SERVICE_NAME: "worker-under-test" },
  });
  await waitFor("the traced worker's pool is ready", async () => {
    const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
    return nodes.find((n) => n.node_id === NODE && n.status === "Online")?.pools.some((p) => p.ready) === true;
  }, 30_000);
}, 60_000);

afterAll(async () => {
  await worker?.kill();
  await orch?.close();
  await receiver?.close();
});

const WORKER_SPANS = ["POST /v2/pools/{id}/infer", "engine.prefill", "engine.decode"];
const ORCH_SPANS = ["POST /v1/chat/completions", "task", "admission", "queue.wait", "placement", "worker.infer"];

/** The trace's spans once both services have exported all of them (batches go out within about a second). */
async function traceOf(traceId: string): Promise<Map<string, ReceivedSpan>> {
  return waitFor(`spans of trace ${traceId} from both services`, () => {
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    const byName = new Map(spans.map((s) => [s.name, s]));
    return [...ORCH_SPANS, ...WORKER_SPANS].every((n) => byName.has(n)) ? byName : null;
  }, 20_000);
}

function chat(headers: Record<string, string> = {}, model = MODEL) {
  return orch.api("/v1/chat/completions", { method: "POST", headers, body: JSON.stringify({ model, messages: [{ role: "user", content: "hello" }], max_tokens: 4 }) });
}

describe("OpenTelemetry tracing, orchestrator → worker", () => {
  it("one chat completion is one trace across both services, under the client's traceparent, with the expected span tree", async () => {
    const clientTrace = randomBytes(16).toString("hex");
    const clientSpan = randomBytes(8).toString("hex");
    const res = await chat({ traceparent: `00-${clientTrace}-${clientSpan}-01` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    const taskId = res.headers.get("x-task-id");

    const s = await traceOf(clientTrace);
    const span = (name: string) => s.get(name) as ReceivedSpan;
    // Each service exports under its own name; the worker's spans carry the orchestrator's trace id.
    for (const name of ORCH_SPANS) expect(span(name).service, name).toBe("orch-under-test");
    for (const name of WORKER_SPANS) expect(span(name).service, name).toBe("worker-under-test");

    // The tree: client → HTTP server span → task → its steps; worker.infer → worker's server span → engine phases.
    const http = span("POST /v1/chat/completions");
    expect(http.parentSpanId).toBe(clientSpan);
    expect(http.kind).toBe(SERVER);
    expect(http.attributes["http.response.status_code"]).toBe(200);
    expect(span("task").parentSpanId).toBe(http.spanId);
    for (const step of ["admission", "queue.wait", "placement", "worker.infer"]) expect(span(step).parentSpanId, step).toBe(span("task").spanId);
    const call = span("worker.infer");
    expect(call.kind).toBe(CLIENT);
    const inferServer = span("POST /v2/pools/{id}/infer");
    expect(inferServer.kind).toBe(SERVER);
    expect(inferServer.parentSpanId).toBe(call.spanId);
    expect(span("engine.prefill").parentSpanId).toBe(inferServer.spanId);
    expect(span("engine.decode").parentSpanId).toBe(inferServer.spanId);

    // Attributes: the task, the model, where it ran, and the token counts the client was told.
    expect(span("task").attributes).toMatchObject({ "llorch.task_id": taskId, "gen_ai.request.model": MODEL, "llorch.node_id": NODE, "llorch.outcome": "completed" });
    expect(span("placement").attributes["llorch.node_id"]).toBe(NODE);
    expect(call.attributes).toMatchObject({ "llorch.task_id": taskId, "llorch.node_id": NODE, "gen_ai.usage.output_tokens": body.usage.completion_tokens });
    expect(call.attributes["llorch.pool_id"]).toBe(inferServer.attributes["llorch.pool_id"]);
    expect(call.events).toContain("first_token");
    expect(span("engine.prefill").attributes["gen_ai.usage.input_tokens"]).toBe(body.usage.prompt_tokens);
    expect(span("engine.decode").attributes["gen_ai.usage.output_tokens"]).toBe(body.usage.completion_tokens);
    // Prefill ends at the first token, where decode begins (Date.now() vs the SDK's clock: a few ms apart at most).
    expect(span("engine.prefill").endNs).toBeLessThanOrEqual(span("engine.decode").startNs + 5_000_000n);
    expect(span("engine.prefill").endNs).toBeGreaterThan(span("engine.prefill").startNs);
    for (const name of [...ORCH_SPANS, ...WORKER_SPANS]) expect(span(name).statusCode, name).not.toBe(ERROR);
    expect(new Set(receiver.contentTypes.map((t) => t.split(";")[0]))).toEqual(new Set(["application/json"]));
  });

  it("without a traceparent the request starts a new trace (a root server span), still spanning both services", async () => {
    const before = new Set(receiver.spans.map((s) => s.traceId));
    const res = await chat();
    expect(res.status).toBe(200);
    const roots = await waitFor("a new root server span", () => receiver.spans.filter((x) => x.name === "POST /v1/chat/completions" && !before.has(x.traceId)).at(0) ?? null, 20_000);
    expect(roots.parentSpanId).toBeUndefined();
    const s = await traceOf(roots.traceId);
    expect(s.get("engine.decode")?.service).toBe("worker-under-test");
  });

  it("a refused request is traced with its error: the admission span fails with the code, no worker span", async () => {
    const trace = randomBytes(16).toString("hex");
    const res = await chat({ traceparent: `00-${trace}-${randomBytes(8).toString("hex")}-01` }, "no-such-model");
    expect(res.status).toBe(404);
    const admission = await waitFor("the refused admission span", () => receiver.spans.find((x) => x.traceId === trace && x.name === "admission") ?? null, 20_000);
    expect(admission.statusCode).toBe(ERROR);
    expect(admission.statusMessage).toMatch(/^MODEL_NOT_FOUND|^MODEL_NOT_AVAILABLE/);
    const task = receiver.spans.find((x) => x.traceId === trace && x.name === "task");
    expect(task?.statusCode).toBe(ERROR);
    expect(receiver.spans.filter((x) => x.traceId === trace && x.name === "worker.infer")).toEqual([]);
  });
});

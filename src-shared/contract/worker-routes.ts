import { z } from "zod";
import { PoolIdSchema } from "../common/ids.js";
import { Sha256HexSchema } from "../models/sha256.js";
import { SseEventSchema } from "../streaming/sse-events.js";
import { ModelPullRequestSchema, ModelPullStatusSchema } from "../staging/model-pull.js";
import { InPlaceModelRequestSchema, InPlaceModelResponseSchema } from "../worker-api/in-place-model.js";
import { ModelInventoryResponseSchema, ModelReceiveQuerySchema, ModelReceiveResponseSchema } from "../worker-api/model-transfer.js";
import { DrainRequestSchema, PoolCommandAcceptedSchema, WorkerReloadRequestSchema } from "../worker-api/pool-commands.js";
import { PoolStatusListResponseSchema, PoolStatusSchema } from "../worker-api/pool-status.js";
import { PoolDiagnosticsSchema } from "../worker-api/pool-diagnostics.js";
import { WorkerHealthResponseSchema } from "../worker-api/worker-health.js";
import { WorkerInferRequestSchema } from "../worker-api/worker-infer.js";
import { SimulatedHangAcceptedSchema, SimulatedHangRequestSchema } from "../worker-api/simulated-hang.js";
import { OCTET_STREAM_MEDIA_TYPE, PROMETHEUS_MEDIA_TYPE, SSE_MEDIA_TYPE, jsonContent, type RouteSpec } from "./route-spec.js";

const PoolIdParam = { id: PoolIdSchema };
const Sha256Param = { sha256: Sha256HexSchema };

const ok = (description: string, schema: z.ZodType) => ({ description, content: jsonContent(schema) });

/** The worker agent's own API; only the orchestrator (and peer workers, for staging) call it. */
export const WORKER_ROUTES: readonly RouteSpec[] = [
  { method: "get", path: "/health", operationId: "getHealth", summary: "Liveness; open without token", tag: "meta", auth: false, responses: { 200: ok("Alive", WorkerHealthResponseSchema) } },
  { method: "get", path: "/metrics", operationId: "getMetrics", summary: "Prometheus metrics", tag: "meta", auth: true, responses: { 200: { description: "Prometheus text exposition", content: { [PROMETHEUS_MEDIA_TYPE]: null } } } },

  { method: "get", path: "/v2/pools", operationId: "listPools", summary: "Status of every pool", tag: "pools", auth: true, responses: { 200: ok("Pools", PoolStatusListResponseSchema) } },
  { method: "get", path: "/v2/pools/{id}/diagnostics", operationId: "getPoolDiagnostics", summary: "Supervision internals: engine pid, circuit breaker, slots busy and waiting", tag: "pools", auth: true, pathParams: PoolIdParam, responses: { 200: ok("Diagnostics", PoolDiagnosticsSchema) }, errors: [404] },
  {
    method: "get", path: "/v2/watch", operationId: "watchNode", summary: "Liveness stream the orchestrator holds open: a keep-alive comment every second; its end means the agent is gone", tag: "meta", auth: true, sse: true,
    responses: { 200: { description: "SSE stream of keep-alive comments", content: { [SSE_MEDIA_TYPE]: null } } },
  },
  { method: "get", path: "/v2/pools/{id}/status", operationId: "getPoolStatus", summary: "One pool's status (probed by the orchestrator)", tag: "pools", auth: true, pathParams: PoolIdParam, responses: { 200: ok("Status", PoolStatusSchema) }, errors: [404] },
  {
    method: "post", path: "/v2/pools/{id}/infer", operationId: "inferOnPool", traced: true, summary: "Run one task; the answer is its SSE stream", tag: "pools", auth: true, sse: true,
    pathParams: PoolIdParam, body: { content: jsonContent(WorkerInferRequestSchema), required: true },
    responses: { 200: { description: "SSE stream: started → (token | metrics)* → end | error", content: { [SSE_MEDIA_TYPE]: SseEventSchema } } },
    errors: [400, 404, 409, 413, 415, 503],
  },
  { method: "post", path: "/v2/tasks/{task_id}/cancel", operationId: "cancelTask", summary: "Cancel a running task; no token follows", tag: "tasks", auth: true, pathParams: { task_id: z.string().min(1).max(128) }, responses: { 204: { description: "Canceled" } }, errors: [404] },
  { method: "post", path: "/v2/pools/{id}/drain", operationId: "drainPool", summary: "Stop new work; stop the engine after the deadline", tag: "pools", auth: true, pathParams: PoolIdParam, body: { content: jsonContent(DrainRequestSchema), required: true }, responses: { 202: ok("Draining", PoolCommandAcceptedSchema) }, errors: [400, 404] },
  { method: "post", path: "/v2/pools/{id}/reload", operationId: "reloadPool", summary: "Load another local model into the pool", tag: "pools", auth: true, pathParams: PoolIdParam, body: { content: jsonContent(WorkerReloadRequestSchema), required: true }, responses: { 202: ok("Reload started", PoolCommandAcceptedSchema) }, errors: [400, 404, 409] },
  { method: "post", path: "/v2/faults/hang", operationId: "simulateHang", summary: "Self-test with the operator's consent: the agent stops (heartbeats, watch, requests) for hang_ms, then carries on", tag: "meta", auth: true, body: { content: jsonContent(SimulatedHangRequestSchema), required: true }, responses: { 202: ok("Hang starts after this answer", SimulatedHangAcceptedSchema) }, errors: [400, 413, 415] },

  { method: "get", path: "/v2/models", operationId: "listModels", summary: "Local model inventory", tag: "models", auth: true, responses: { 200: ok("Models", ModelInventoryResponseSchema) } },
  {
    method: "put", path: "/v2/models/{sha256}", operationId: "receiveModel", summary: "Receive a model file for staging (resumable with Content-Range)", tag: "models", auth: true,
    pathParams: Sha256Param, query: ModelReceiveQuerySchema, body: { content: { [OCTET_STREAM_MEDIA_TYPE]: null }, required: true },
    responses: {
      200: ok("Bytes stored; complete and verified once the whole file arrived and its digest matched", ModelReceiveResponseSchema),
    },
    // 400 digest mismatch, 409 Content-Range start differs from bytes_received, 507 disk full.
    errors: [400, 409, 415, 507],
  },
  {
    method: "post", path: "/v2/models/in-place", operationId: "useModelInPlace", summary: "Serve a GGUF file from where it is on this node (another tool's folder), without copying it; hashed on the next catalog scan", tag: "models", auth: true,
    body: { content: jsonContent(InPlaceModelRequestSchema), required: true }, responses: { 202: ok("Accepted: a readable GGUF, remembered across restarts", InPlaceModelResponseSchema) }, errors: [400, 413, 415],
  },
  {
    method: "delete", path: "/v2/models/{sha256}", operationId: "deleteModel", summary: "Delete every file of this model from the models dir (409 while a pool serves it)", tag: "models", auth: true,
    pathParams: Sha256Param, responses: { 204: { description: "Deleted" } }, errors: [404, 409],
  },
  {
    method: "get", path: "/v2/models/{sha256}/content", operationId: "getModelContent", summary: "A verified model file for a peer (Range supported); the bearer is a staging grant or the worker token", tag: "models", auth: true,
    pathParams: Sha256Param,
    responses: {
      200: { description: "The whole file", content: { [OCTET_STREAM_MEDIA_TYPE]: null } },
      206: { description: "The requested range (Range: bytes=<start>-)", content: { [OCTET_STREAM_MEDIA_TYPE]: null } },
    },
    errors: [400, 404],
  },
  {
    method: "post", path: "/v2/models/{sha256}/pull", operationId: "startModelPull", summary: "Pull a model from a peer worker: resumable, bandwidth-capped, verified before the rename", tag: "models", auth: true,
    pathParams: Sha256Param, body: { content: jsonContent(ModelPullRequestSchema), required: true },
    // 409: another job pulls this model; 507: not enough free disk (nothing written).
    responses: { 202: ok("Pull running (or already complete)", ModelPullStatusSchema) }, errors: [400, 409, 413, 415, 507],
  },
  { method: "get", path: "/v2/models/{sha256}/pull", operationId: "getModelPull", summary: "Progress of the last pull of this model", tag: "models", auth: true, pathParams: Sha256Param, responses: { 200: ok("Pull status", ModelPullStatusSchema) }, errors: [404] },
  { method: "delete", path: "/v2/models/{sha256}/pull", operationId: "cancelModelPull", summary: "Stop the pull and remove its partial file", tag: "models", auth: true, pathParams: Sha256Param, responses: { 204: { description: "Canceled; no partial file left" } } },
];

import type { RouteHandler, RouteHandlers } from "../../src-node/route-context.js";
import { openSse } from "../../src-node/sse-writer.js";
import type { ErrorCode } from "../../src-shared/errors/error-codes.js";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import { encodeSseComment } from "../../src-shared/streaming/sse-codec.js";
import type { DrainRequest, PoolCommandAccepted, WorkerReloadRequest } from "../../src-shared/worker-api/pool-commands.js";
import type { WorkerHealthResponse } from "../../src-shared/worker-api/worker-health.js";
import type { WorkerInferRequest } from "../../src-shared/worker-api/worker-infer.js";
import type { ModelReceiveQuery } from "../../src-shared/worker-api/model-transfer.js";
import type { SimulatedHangAccepted, SimulatedHangRequest } from "../../src-shared/worker-api/simulated-hang.js";
import type { ModelCatalog } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import type { PoolRegistry } from "../pools/pool-registry.js";
import type { ServingPool } from "../pools/serving-pool.js";
import type { TaskRegistry } from "../pools/task-registry.js";
import type { ModelReceiver } from "./model-receive.js";
import { SseTaskStream } from "./sse-task-stream.js";
import { NOOP_TRACING, type Tracing } from "../../src-node/tracing/tracing.js";
import type { TaskEventSink } from "../pools/serving-pool.js";
import { TracedTaskSink } from "./traced-task-sink.js";

export type ReloadResult = { ok: true; state: string } | { ok: false; code: ErrorCode; message: string };

export interface WorkerHandlerDeps {
  nodeId: string;
  version: string;
  pools: PoolRegistry;
  tasks: TaskRegistry;
  catalog: ModelCatalog;
  metrics: WorkerMetrics;
  modelReceiver: ModelReceiver;
  reloadPool(poolId: string, model: string, drainDeadlineMs: number): ReloadResult;
  log: Logger;
  /** Engine prefill/decode spans under the infer request's span (absent: off). */
  tracing?: Tracing;
}

const DEFAULT_RELOAD_DRAIN_MS = 30_000;
const WATCH_PING_MS = 1000;

/** The worker API's handlers, keyed by the operationIds of WORKER_ROUTES (docs/WORKER.md "HTTP API"). */
export function workerHandlers(deps: WorkerHandlerDeps): RouteHandlers {
  const poolOf = (id: string | undefined): ServingPool => {
    const pool = deps.pools.get(id ?? "");
    if (pool === undefined) throw new OrchError("POOL_NOT_FOUND", `unknown pool "${id ?? ""}"`);
    return pool;
  };

  const getHealth: RouteHandler = ({ res }) => {
    const body: WorkerHealthResponse = { status: "ok", version: deps.version, node_id: deps.nodeId };
    res.json(body);
  };

  const getMetrics: RouteHandler = async ({ res }) => {
    res.setHeader("Content-Type", deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  };

  // Held open by the orchestrator: when this process dies the socket closes and the node is marked
  // Suspect at once, long before heartbeats are missed.
  const watchNode: RouteHandler = ({ res }) => {
    const sse = openSse(res, {}, { keepAliveMs: WATCH_PING_MS });
    sse.write(encodeSseComment("watching"));
  };

  const tracing = deps.tracing ?? NOOP_TRACING;
  const inferOnPool: RouteHandler = async ({ res, params, body, span }) => {
    const pool = poolOf(params.id);
    const request = body as WorkerInferRequest;
    const admission = pool.admit();
    if (!admission.ok) {
      deps.metrics.inferRequests.inc({ pool_id: pool.id, outcome: "rejected" });
      throw new OrchError(admission.code, admission.message, {
        pool_id: pool.id,
        ...(admission.retryAfterMs !== undefined ? { retry_after_ms: admission.retryAfterMs } : {}),
      });
    }
    const taskId = request.task_id;
    const controller = new AbortController();
    if (!deps.tasks.register(taskId, pool.id, controller)) throw new OrchError("CONFLICT", `task ${taskId} is already running`);
    const stream = new SseTaskStream(res);
    span.setAttributes({ "llorch.task_id": taskId, "llorch.node_id": deps.nodeId, "llorch.pool_id": pool.id });
    const sink: TaskEventSink = span.recording ? new TracedTaskSink(stream, tracing, span, { "llorch.task_id": taskId, "llorch.pool_id": pool.id }) : stream;
    // The client went away before the terminal event: cancel (spec §3.4, cancel on disconnect).
    res.on("close", () => {
      if (!sink.finished) controller.abort("client disconnected");
    });
    try {
      await pool.run({ taskId, request, sink, signal: controller.signal });
    } finally {
      deps.tasks.unregister(taskId, controller);
    }
  };

  // 204 and no body, as the contract declares.
  const cancelTask: RouteHandler = ({ res, params }) => {
    const taskId = params.task_id ?? "";
    const canceled = deps.tasks.cancel(taskId, "canceled by API");
    if (canceled === undefined) throw new OrchError("TASK_NOT_FOUND", `no running task "${taskId}"`);
    deps.log.info({ task_id: taskId, pool_id: canceled.poolId }, "cancel requested");
    res.status(204).end();
  };

  const drainPool: RouteHandler = ({ res, params, body }) => {
    const pool = poolOf(params.id);
    void pool.drain((body as DrainRequest).deadline_ms);
    const accepted: PoolCommandAccepted = { pool_id: pool.id, accepted: true, state: pool.status().state };
    res.status(202).json(accepted);
  };

  const reloadPool: RouteHandler = ({ res, params, body }) => {
    const pool = poolOf(params.id);
    const request = body as WorkerReloadRequest;
    const result = deps.reloadPool(pool.id, request.model, request.drain_deadline_ms ?? DEFAULT_RELOAD_DRAIN_MS);
    if (!result.ok) throw new OrchError(result.code, result.message, { pool_id: pool.id });
    const accepted: PoolCommandAccepted = { pool_id: pool.id, accepted: true, state: result.state };
    res.status(202).json(accepted);
  };

  // The orchestrator's self-test, with the operator's consent (docs/CLUSTER.md "Self-test"): the
  // whole agent stops as a SIGSTOP would stop it (no heartbeat, no watch keep-alive, no answer), so the
  // orchestrator's hang detection is timed for real; it starts once this answer has left.
  const simulateHang: RouteHandler = ({ res, body }) => {
    const { hang_ms } = body as SimulatedHangRequest;
    deps.log.warn({ hang_ms }, "self-test: simulating a hang of this agent");
    res.once("finish", () => {
      setImmediate(() => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, hang_ms);
        deps.log.info({ hang_ms }, "self-test: simulated hang over");
      });
    });
    const accepted: SimulatedHangAccepted = { node_id: deps.nodeId, hang_ms };
    res.status(202).json(accepted);
  };

  return {
    getHealth,
    getMetrics,
    simulateHang,
    watchNode,
    inferOnPool,
    cancelTask,
    drainPool,
    reloadPool,
    listPools: ({ res }) => {
      res.json({ pools: deps.pools.list().map((p) => p.status()) });
    },
    getPoolStatus: ({ res, params }) => {
      res.json(poolOf(params.id).status());
    },
    getPoolDiagnostics: ({ res, params }) => {
      res.json(poolOf(params.id).diagnostics());
    },
    listModels: ({ res }) => {
      res.json({ models: deps.catalog.inventory() });
    },
    receiveModel: ({ req, res, params, query }) => deps.modelReceiver.handle(req, res, params.sha256 ?? "", (query as ModelReceiveQuery).file_name),
  };
}

import express, { type ErrorRequestHandler, type Request, type Response } from "express";
import { validationIssues } from "../../src-shared/common/validation-issues.js";
import type { ErrorCode } from "../../src-shared/errors/error-codes.js";
import { DrainRequestSchema, WorkerReloadRequestSchema, type PoolCommandAccepted } from "../../src-shared/worker-api/pool-commands.js";
import type { WorkerHealthResponse } from "../../src-shared/worker-api/worker-health.js";
import { WorkerInferRequestSchema } from "../../src-shared/worker-api/worker-infer.js";
import type { ModelCatalog } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import type { PoolRegistry } from "../pools/pool-registry.js";
import type { TaskRegistry } from "../pools/task-registry.js";
import { bearerAuth } from "./auth-middleware.js";
import { loopbackHostCheck } from "./host-check.js";
import type { ModelReceiver } from "./model-receive.js";
import { sendError } from "./send-error.js";
import { SseTaskStream } from "./sse-task-stream.js";

export type ReloadResult = { ok: true; state: string } | { ok: false; code: ErrorCode; message: string };

export interface WorkerApiDeps {
  nodeId: string;
  version: string;
  token: string;
  /** Host names accepted in the Host header; undefined disables the check (non-loopback bind). */
  allowedHosts: readonly string[] | undefined;
  pools: PoolRegistry;
  tasks: TaskRegistry;
  catalog: ModelCatalog;
  metrics: WorkerMetrics;
  modelReceiver: ModelReceiver;
  reloadPool(poolId: string, model: string, drainDeadlineMs: number): ReloadResult;
  log: Logger;
}

const JSON_LIMIT = "1mb";
const DEFAULT_RELOAD_DRAIN_MS = 30_000;

function param(req: Request, name: string): string {
  const value = req.params[name];
  return typeof value === "string" ? value : "";
}

/** The worker's own HTTP API (docs/WORKER.md "HTTP API"). */
export function createWorkerApp(deps: WorkerApiDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  if (deps.allowedHosts !== undefined) app.use(loopbackHostCheck(deps.allowedHosts));

  app.get("/health", (_req, res) => {
    const body: WorkerHealthResponse = { status: "ok", version: deps.version, node_id: deps.nodeId };
    res.json(body);
  });

  app.use(bearerAuth(deps.token, deps.log));

  // Model receive streams its raw body; everything else is JSON up to 1 MiB.
  app.put("/v2/models/:sha256", (req, res) => deps.modelReceiver.handle(req, res));
  app.use(express.json({ limit: JSON_LIMIT, type: () => true }));

  app.get("/metrics", async (_req, res) => {
    res.setHeader("Content-Type", deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  // Held open by the orchestrator: when this process dies the socket closes and the node is marked
  // Suspect at once, long before heartbeats are missed.
  app.get("/v2/watch", (req, res) => {
    res.status(200);
    res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
    res.setHeader("Cache-Control", "no-cache, no-transform");
    res.flushHeaders();
    res.write(": watching\n\n");
    const ping = setInterval(() => res.write(": ping\n\n"), 1000);
    req.on("close", () => clearInterval(ping));
  });

  app.get("/v2/pools", (_req, res) => {
    res.json({ pools: deps.pools.list().map((p) => p.status()) });
  });

  const withPool = (req: Request, res: Response) => {
    const pool = deps.pools.get(param(req, "id"));
    if (pool === undefined) sendError(res, "POOL_NOT_FOUND", `unknown pool "${param(req, "id")}"`);
    return pool;
  };

  app.get("/v2/pools/:id/status", (req, res) => {
    const pool = withPool(req, res);
    if (pool !== undefined) res.json(pool.status());
  });

  app.get("/v2/pools/:id/diagnostics", (req, res) => {
    const pool = withPool(req, res);
    if (pool !== undefined) res.json(pool.diagnostics());
  });

  app.post("/v2/pools/:id/infer", async (req, res) => {
    const pool = withPool(req, res);
    if (pool === undefined) return;
    const parsed = WorkerInferRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      return sendError(res, "INVALID_PARAMS", "invalid infer request", { details: { issues: validationIssues(parsed.error) } });
    }
    const admission = pool.admit();
    if (!admission.ok) {
      deps.metrics.inferRequests.inc({ pool_id: pool.id, outcome: "rejected" });
      return sendError(res, admission.code, admission.message, {
        pool_id: pool.id,
        ...(admission.retryAfterMs !== undefined ? { retry_after_ms: admission.retryAfterMs } : {}),
      });
    }
    const taskId = parsed.data.task_id;
    const controller = new AbortController();
    if (!deps.tasks.register(taskId, pool.id, controller)) return sendError(res, "CONFLICT", `task ${taskId} is already running`);
    const sink = new SseTaskStream(res);
    // The client went away before the terminal event: cancel (spec §3.4, cancel on disconnect).
    res.on("close", () => {
      if (!sink.finished) controller.abort("client disconnected");
    });
    try {
      await pool.run({ taskId, request: parsed.data, sink, signal: controller.signal });
    } finally {
      deps.tasks.unregister(taskId, controller);
    }
  });

  app.post("/v2/tasks/:task_id/cancel", (req, res) => {
    const taskId = param(req, "task_id");
    const canceled = deps.tasks.cancel(taskId, "canceled by API");
    if (canceled === undefined) return sendError(res, "TASK_NOT_FOUND", `no running task "${taskId}"`);
    deps.log.info({ task_id: taskId, pool_id: canceled.poolId }, "cancel requested");
    res.status(202).json({ task_id: taskId, pool_id: canceled.poolId, canceled: true });
  });

  app.post("/v2/pools/:id/drain", (req, res) => {
    const pool = withPool(req, res);
    if (pool === undefined) return;
    const parsed = DrainRequestSchema.safeParse(req.body);
    if (!parsed.success) return sendError(res, "INVALID_PARAMS", "invalid drain request", { details: { issues: validationIssues(parsed.error) } });
    void pool.drain(parsed.data.deadline_ms);
    const body: PoolCommandAccepted = { pool_id: pool.id, accepted: true, state: pool.status().state };
    res.status(202).json(body);
  });

  app.post("/v2/pools/:id/reload", (req, res) => {
    const pool = withPool(req, res);
    if (pool === undefined) return;
    const parsed = WorkerReloadRequestSchema.safeParse(req.body);
    if (!parsed.success) return sendError(res, "INVALID_PARAMS", "invalid reload request", { details: { issues: validationIssues(parsed.error) } });
    const result = deps.reloadPool(pool.id, parsed.data.model, parsed.data.drain_deadline_ms ?? DEFAULT_RELOAD_DRAIN_MS);
    if (!result.ok) return sendError(res, result.code, result.message, { pool_id: pool.id });
    const body: PoolCommandAccepted = { pool_id: pool.id, accepted: true, state: result.state };
    res.status(202).json(body);
  });

  app.get("/v2/models", (_req, res) => {
    res.json({ models: deps.catalog.inventory() });
  });

  app.use((req, res) => sendError(res, "NOT_FOUND", `no route ${req.method} ${req.path}`));

  const onError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    const type = (error as { type?: unknown }).type;
    if (res.headersSent) {
      res.end();
      return;
    }
    if (type === "entity.too.large") return sendError(res, "PAYLOAD_TOO_LARGE", `request body exceeds ${JSON_LIMIT}`);
    if (type === "entity.parse.failed") return sendError(res, "MALFORMED_JSON", "request body is not valid JSON");
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) return sendError(res, "INVALID_PARAMS", (error as Error).message);
    deps.log.error({ err: error }, "unhandled error in request");
    sendError(res, "INTERNAL", "internal error");
  };
  app.use(onError);
  return app;
}

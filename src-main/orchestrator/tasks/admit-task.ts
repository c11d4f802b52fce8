import { canonicalUuid } from "../../../src-shared/common/ids.js";
import { isDiskFull } from "../../../src-shared/errors/disk-full.js";
import { admissionFingerprint } from "./keyed-retry.js";
import { randomUUID } from "node:crypto";
import type { Engine, Priority, Workload } from "../../../src-shared/tasks/task-request.js";
import type { PlacementOverrides } from "../../../src-shared/tasks/placement.js";
import type { Logger } from "pino";
import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import { ERROR_CODES } from "../../../src-shared/errors/error-codes.js";
import { steadyNow } from "../../../src-node/steady-clock.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { unsupportedWorkloadMessage } from "../../../src-shared/models/model-workloads.js";
import { resolveModel, type AliasTable, type ResolvedModel } from "../catalog/model-resolver.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import type { SessionStore } from "../scheduling/session-store.js";
import type { PlacementDecision } from "../placement/placement-types.js";
import type { SpanHandle } from "../../../src-node/tracing/tracing.js";
import { newTask } from "./new-task.js";
import { quotaReservation, type AdmittedTask } from "../auth/key-usage-meter.js";
import type { Task, TaskApi, TaskGeneration } from "./task.js";

export interface AdmissionDeps {
  config: () => OrchestratorConfig;
  tasks: {
    /** Shutdown began: nothing is placed any more. */
    closing(): boolean;
    exists(taskId: string): boolean;
    preview(task: Task, ignoreWaits: boolean): PlacementDecision;
    /** Right after a restart: workers have not re-registered yet, a model without holders may still come back. */
    holdsForReregistration(): boolean;
    enqueue(task: Task): { accepted: true; position: number; predicted_start_ms: number } | { accepted: false; per_key_limit?: number };
  };
  sessions: SessionStore;
  metrics: OrchestratorMetrics;
  logger: Logger;
  /** Every model some node reports, with unique ids. */
  clusterModels: () => ResolvedModel[];
  /** sha256 of models retired in the catalog. */
  retiredModels: () => ReadonlySet<string>;
  /** Per-key limits and usage (auth/key-usage-meter.ts); absent: none. */
  keyUsage?: { check(owner: string | null): void; admitted(owner: string | null, task?: AdmittedTask): void } | undefined;
  /** Operator aliases (name → sha256); absent: none. */
  modelAliases?: (() => AliasTable) | undefined;
}

export interface AdmissionInput {
  task_id?: string | undefined;
  session_id?: string | undefined;
  api: TaskApi;
  workload?: Workload;
  engine?: Engine;
  model_ref: string;
  priority: Priority;
  ctx?: number | undefined;
  deadline_ms?: number | undefined;
  generation: TaskGeneration;
  placement?: PlacementOverrides | undefined;
  /** The client's Idempotency-Key, namespaced by its credential (see TaskService.admit). */
  idempotency_key?: string | undefined;
  /** The admitting credential's id (Identity.credentialId): who may see and cancel the task. */
  owner?: string | undefined;
  /** The request's server span: the task's spans hang under it. */
  trace_parent?: SpanHandle | undefined;
  /**
   * The client receives nothing before the task's terminal event (a non-streaming compatible request,
   * no 202): when the task can start at once it is dispatched first and its accept commits in the
   * same turn's batch, while the worker already works (TaskService.enqueue).
   */
  dispatch_before_commit?: boolean | undefined;
}

const DEFAULT_DEADLINE_MS = 10 * 60_000;

/**
 * Admission shared by /v2/tasks and the OpenAI routes: duplicate check, model resolution, context and
 * budget checks, a feasibility pre-check of placement (ignoring busy slots), then the bounded queue.
 * Throws OrchError with the right code; on success the task is queued and has its `started` event.
 */
export function admitTask(ctx: AdmissionDeps, input: AdmissionInput): Task {
  const cfg = ctx.config();
  // Not "queue full" or "no node holds the model" (the local worker may already be gone): the truth, retriable.
  if (ctx.tasks.closing()) throw new OrchError("POOL_UNAVAILABLE", "the orchestrator is shutting down; retry shortly", { retry_after_ms: cfg.retry_after_ms });
  const taskId = input.task_id !== undefined ? canonicalUuid(input.task_id) : randomUUID();
  if (ctx.tasks.exists(taskId)) {
    throw new OrchError("CONFLICT", `task ${taskId} already exists; task ids are unique`);
  }
  const models = ctx.clusterModels();
  const resolved = resolveModel(input.model_ref, models, ctx.modelAliases?.());
  if (!resolved.ok) {
    // No node has reported any model yet (a cluster starting: the HOME app's own worker registers a few
    // seconds after the orchestrator listens): whether the model exists cannot be known, so retry, not 404.
    if (models.length === 0 && resolved.code === "MODEL_NOT_FOUND") {
      const what = resolved.alias === undefined ? `"${input.model_ref}"` : `"${input.model_ref}" (an alias of sha256:${resolved.alias.sha256})`;
      throw new OrchError("MODEL_NOT_AVAILABLE", `no worker node has reported any model yet, so ${what} cannot be served now; retry in a moment (GET /ready says when the cluster can serve)`, { retriable: true, retry_after_ms: cfg.retry_after_ms });
    }
    throw new OrchError(resolved.code, resolved.message);
  }
  const model = resolved.model;
  if (ctx.retiredModels().has(model.sha256)) throw new OrchError("MODEL_DEPRECATED", `model ${model.id} is retired in the catalog`);
  const workload = input.workload ?? "completion";
  // A reranker cannot generate and a generative model cannot rank: refused here, before placement, with the reason.
  if (model.workloads !== undefined && !model.workloads.includes(workload)) {
    throw new OrchError("INVALID_PARAMS", unsupportedWorkloadMessage(model.id, model.architecture, model.workloads, workload), { details: { workload, model_workloads: model.workloads } });
  }
  if (input.deadline_ms !== undefined && input.deadline_ms <= 0) throw new OrchError("DEADLINE_UNMET", "deadline_ms must be positive");
  const contextLength = model.context_length;
  if (contextLength !== undefined) {
    if (input.ctx !== undefined && input.ctx > contextLength) throw new OrchError("CONTEXT_TOO_LONG", `ctx ${input.ctx} exceeds the model's context length ${contextLength}`);
    // A ceiling the engine shortens to the context (fill_context) is not the client's mistake.
    if (input.generation.max_tokens > contextLength && input.generation.fill_context !== true) throw new OrchError("CONTEXT_TOO_LONG", `max_tokens ${input.generation.max_tokens} exceeds the model's context length ${contextLength}`);
  }
  const sessionId = input.session_id !== undefined ? canonicalUuid(input.session_id) : taskId;
  const budget = ctx.sessions.checkAdmission(input.owner ?? null, sessionId, input.generation.max_tokens);
  if (!budget.ok) throw new OrchError("BUDGET_EXCEEDED", budget.message);
  try {
    ctx.keyUsage?.check(input.owner ?? null);
  } catch (err) {
    if (err instanceof OrchError) ctx.metrics.tasksRejected.inc({ reason: err.code });
    throw err;
  }

  const now = Date.now();
  const placement = input.placement ?? { mode: "auto" as const, allow_fallback: true };
  const task: Task = newTask({
    task_id: taskId,
    session_id: sessionId,
    api: input.api,
    workload,
    engine: input.engine ?? "llamacpp",
    priority: input.priority,
    model_ref: input.model_ref,
    model,
    generation: input.generation,
    placement: {
      mode: placement.mode,
      pin_pool_id: placement.pin_pool_id,
      pin_node_id: placement.pin_node_id,
      prefer_pools: placement.prefer_pools,
      avoid_pools: placement.avoid_pools,
      avoid_nodes: placement.avoid_nodes,
      require_device_mask: placement.require_device_mask,
      allow_fallback: placement.allow_fallback,
    },
    // The scheduler checks deadlines on the steady clock (a wall-clock step must not expire or extend them).
    deadline_at_ms: steadyNow() + (input.deadline_ms ?? DEFAULT_DEADLINE_MS),
    idempotency_key: input.idempotency_key ?? null,
    request_fingerprint: input.idempotency_key === undefined ? null : admissionFingerprint(input),
    owner: input.owner ?? null,
    enqueued_at_ms: now,
  });

  // Can any pool ever serve it? Busy slots and pools still loading (start-up) only mean waiting in the queue.
  const feasibility = ctx.tasks.preview(task, true);
  // Right after a restart no node holds any model until the workers re-register: queue, the scheduler holds it.
  const reregistering = feasibility.outcome === "no_capacity" && feasibility.code === "MODEL_NOT_AVAILABLE" && !feasibility.pinned && ctx.tasks.holdsForReregistration();
  if (feasibility.outcome === "no_capacity" && !reregistering) {
    ctx.metrics.tasksRejected.inc({ reason: feasibility.code });
    ctx.metrics.placementDecisions.inc({ outcome: "no_capacity", pinned: String(feasibility.pinned), fallback: "false" });
    throw new OrchError(feasibility.code, feasibility.message, feasibility.transient ? { retry_after_ms: cfg.retry_after_ms, policy_label: "retry" } : ERROR_CODES[feasibility.code].retriable ? { retry_after_ms: cfg.retry_after_ms } : {});
  }

  let admitted;
  try {
    admitted = ctx.tasks.enqueue(task);
  } catch (err) {
    ctx.logger.error({ task_id: taskId, err }, "task journal write failed; task refused");
    if (isDiskFull(err)) throw new OrchError("STORAGE_FULL", "the task could not be recorded: the orchestrator's disk is full; nothing was queued", { retry_after_ms: cfg.retry_after_ms });
    throw new OrchError("INTERNAL", "the task could not be recorded (database write failed); nothing was queued", { retriable: true, retry_after_ms: cfg.retry_after_ms });
  }
  if (!admitted.accepted && admitted.per_key_limit !== undefined) {
    // Other keys are still admitted: this one has its share of the queue (tasks start round robin across keys).
    throw new OrchError("ADMISSION_KEY_LIMIT", `this API key already has ${admitted.per_key_limit} tasks queued (admission_max_queued_per_key ${admitted.per_key_limit}); retry once some have started`, { retry_after_ms: cfg.retry_after_ms, policy_label: "per-key", details: { setting: "admission_max_queued_per_key", limit: admitted.per_key_limit } });
  }
  if (!admitted.accepted) {
    throw new OrchError("ADMISSION_REJECT", `queue full (${cfg.admission_capacity} tasks); retry later`, { retry_after_ms: cfg.retry_after_ms, policy_label: cfg.admission_policy });
  }
  ctx.sessions.noteTurn(task.owner, sessionId);
  ctx.keyUsage?.admitted(task.owner, { task_id: task.task_id, accepted_at_ms: task.enqueued_at_ms, reserve_tokens: quotaReservation(task.generation.max_tokens, model.context_length) });
  ctx.logger.info({ task_id: taskId, session_id: sessionId, model: model.id, queue_position: admitted.position, predicted_start_ms: admitted.predicted_start_ms, api: input.api }, "task admitted");
  return task;
}

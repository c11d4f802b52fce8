import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import { ERROR_CODES, replacesOnAnotherNode, type ErrorCode } from "../../../src-shared/errors/error-codes.js";
import type { SseEvent, SseEndData } from "../../../src-shared/streaming/sse-events.js";
import type { WorkerInferRequest } from "../../../src-shared/worker-api/worker-infer.js";
import { AdmissionQueue, type EnqueueResult } from "../admission/admission-queue.js";
import type { SessionStore } from "../admission/session-store.js";
import type { TaskJournal } from "../db/task-journal.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import { placeTask } from "../placement/place-task.js";
import type { PlacementCandidate, PlacementDecision } from "../placement/placement-types.js";
import type { NodeRegistry } from "../registry/node-registry.js";
import { emitTaskEvent, hasTerminalEvent } from "./task-events.js";
import type { Task } from "./task.js";
import { ThroughputTracker } from "./throughput-tracker.js";
import { UpstreamError, WorkerClient } from "./worker-client.js";

const MAX_DISPATCH_ATTEMPTS = 2;
const FINISHED_TASKS_KEPT = 2000;

export interface DispatcherDeps {
  config: () => OrchestratorConfig;
  registry: NodeRegistry;
  sessions: SessionStore;
  journal: TaskJournal;
  metrics: OrchestratorMetrics;
  logger: Logger;
  /** Token the orchestrator presents to workers. */
  workerToken: (nodeId: string) => string;
  now?: () => number;
}

export type AdmitResult = { accepted: true; position: number; predicted_start_ms: number } | { accepted: false };

/**
 * Owns accepted tasks from admission to their terminal event: the bounded priority queue, placement
 * as slots free up, the streamed dispatch to a worker, re-placement after a failure before the first
 * token, cancel, and node loss. Every accepted task ends with exactly one `end` or `error`.
 */
export interface DispatcherEvents {
  /** A task changed state, placement or queue position (the dashboard feed listens). */
  task: [task: Task];
  /** A token was streamed to a client. */
  token: [task: Task];
}

export class Dispatcher extends EventEmitter<DispatcherEvents> {
  readonly queue: AdmissionQueue<Task>;
  private readonly tasks = new Map<string, Task>();
  private readonly finishedOrder: string[] = [];
  private readonly inflight = new Map<string, number>();
  private readonly throughput = new ThroughputTracker();
  private readonly notifiedPosition = new Map<string, number>();
  private placementSequence = 0;
  private pumpScheduled = false;
  private pumping = false;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly deps: DispatcherDeps) {
    super();
    const cfg = deps.config();
    this.queue = new AdmissionQueue<Task>(cfg.admission_capacity, cfg.admission_policy);
    this.now = deps.now ?? Date.now;
    deps.registry.on("changed", () => this.schedulePump());
    deps.registry.on("lost", (nodeId, reason) => this.onNodeLost(nodeId, reason));
  }

  get(taskId: string): Task | undefined {
    return this.tasks.get(taskId);
  }

  /** Tasks in memory: queued in dispatch order, then running, then recently finished (newest first). */
  list(): Task[] {
    const queued = this.queue.items();
    const others = [...this.tasks.values()].filter((t) => t.state !== "queued").sort((a, b) => b.enqueued_at_ms - a.enqueued_at_ms);
    return [...queued, ...others];
  }

  inflightOn(poolId: string): number {
    return this.inflight.get(poolId) ?? 0;
  }

  /** Enqueues an admitted task (validation, model and budget checks happened before). */
  admit(task: Task): AdmitResult {
    if (this.closed) return { accepted: false };
    const result: EnqueueResult<Task> = this.queue.enqueue(task);
    const policy = this.deps.config().admission_policy;
    if (!result.accepted) {
      this.deps.metrics.backpressureEvents.inc({ policy });
      this.deps.metrics.tasksRejected.inc({ reason: "ADMISSION_REJECT" });
      return { accepted: false };
    }
    try {
      // Nothing is acknowledged that is not journaled: a failed write undoes the enqueue.
      this.deps.journal.accepted(task);
    } catch (err) {
      this.queue.remove(task.task_id);
      if (result.dropped !== null) this.queue.requeueFront(result.dropped);
      throw err;
    }
    this.tasks.set(task.task_id, task);
    this.deps.metrics.tasksEnqueued.inc({ priority: task.priority });
    task.queue_position_at_admission = result.position;
    task.predicted_start_ms = this.predictStartMs(task);
    emitTaskEvent(task, { event: "started", data: { queue_position: result.position, predicted_start_ms: task.predicted_start_ms, task_id: task.task_id, model: task.model.sha256 } });
    if (result.dropped !== null) {
      this.deps.metrics.backpressureEvents.inc({ policy });
      this.deps.metrics.tasksRejected.inc({ reason: "QUEUE_FULL_DROP_LRU" });
      this.fail(result.dropped, "QUEUE_FULL_DROP_LRU", "dropped from the full queue (drop-lru policy) to admit a newer task", { retry_after_ms: this.deps.config().retry_after_ms });
    }
    this.updateQueueGauge();
    this.emit("task", task);
    this.schedulePump();
    return { accepted: true, position: result.position, predicted_start_ms: task.predicted_start_ms };
  }

  /** Cancels a task wherever it is. The stream ends with `end` + canceled:true; no token follows. */
  cancel(taskId: string, reason: "client" | "disconnect" | "operator"): boolean {
    const task = this.tasks.get(taskId);
    if (task === undefined || hasTerminalEvent(task)) return false;
    task.cancel_requested = true;
    this.deps.metrics.tasksCanceled.inc({ reason });
    if (task.state === "queued") {
      this.queue.remove(taskId);
      this.updateQueueGauge();
    } else if (task.node_id !== null) {
      const node = this.deps.registry.get(task.node_id);
      if (node) void new WorkerClient(node.address, this.deps.workerToken(node.node_id)).cancel(taskId);
    }
    this.finish(task, "canceled", null, { stop_reason: "canceled" });
    task.upstream?.abort();
    this.schedulePump();
    return true;
  }

  /** Stops admitting; queued tasks fail now, running ones get until the grace period to finish. */
  async shutdown(graceMs: number): Promise<void> {
    this.closed = true;
    for (const task of this.queue.items()) {
      this.queue.remove(task.task_id);
      this.fail(task, "POOL_UNAVAILABLE", "the orchestrator is shutting down", { retry_after_ms: this.deps.config().retry_after_ms });
    }
    this.updateQueueGauge();
    const deadline = this.now() + graceMs;
    while (this.running().length > 0 && this.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const task of this.running()) {
      task.cancel_requested = true;
      this.fail(task, "WORKER_RESET", "the orchestrator shut down before the task finished");
      task.upstream?.abort();
    }
  }

  schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Placement candidates from the registry, with slots the orchestrator has in flight subtracted. */
  candidates(): PlacementCandidate[] {
    const out: PlacementCandidate[] = [];
    for (const node of this.deps.registry.list()) {
      const schedulable = node.status === "Online" && node.eligibility === "eligible";
      for (const pool of node.pools) {
        out.push({
          node_id: node.node_id,
          pool_id: pool.pool_id,
          node_schedulable: schedulable,
          node_state: node.status === "Online" && node.eligibility === "ineligible" ? "ineligible (drained)" : node.status,
          ready: pool.ready,
          // The operator's desired state (drain, reload) holds from the moment it was asked.
          draining: pool.draining || this.deps.registry.placementHold(pool) !== null,
          slots_total: pool.slots_total,
          slots_free: Math.max(0, pool.slots_total - this.inflightOn(pool.pool_id)),
          vram_free_bytes: pool.vram_free_bytes,
          device_mask: pool.device_mask,
          models_available: pool.models_available,
          loaded_model: pool.model?.sha256,
          tokens_per_second: pool.tokens_per_second,
        });
      }
    }
    return out;
  }

  /** Placement for a task against the current registry, without side effects (admission pre-check). */
  preview(task: Task, ignoreBusySlots: boolean): PlacementDecision {
    const candidates = this.candidates().map((c) => (ignoreBusySlots ? { ...c, slots_free: Math.max(1, c.slots_total) } : c));
    return placeTask(this.placementRequest(task), candidates, this.policy());
  }

  private pump(): void {
    if (this.pumping || this.closed || this.queue.depth === 0) return;
    this.pumping = true;
    try {
      // One registry snapshot per pump; assignments update it locally so later tasks see the slot taken.
      const candidates = this.candidates();
      for (const task of this.queue.items()) {
        if (task.deadline_at_ms < this.now()) {
          this.queue.remove(task.task_id);
          this.fail(task, "DEADLINE_UNMET", "the deadline passed while the task waited in the queue");
          continue;
        }
        const decision = placeTask(this.placementRequest(task), candidates, this.policy());
        this.recordDecision(decision);
        if (decision.outcome === "assigned") {
          this.queue.remove(task.task_id);
          this.placementSequence++;
          const taken = candidates.find((c) => c.pool_id === decision.pool_id);
          if (taken) taken.slots_free = Math.max(0, taken.slots_free - 1);
          this.start(task, decision);
        } else if (!decision.transient) {
          this.queue.remove(task.task_id);
          task.decision = decision;
          this.fail(task, decision.code, decision.message);
        }
      }
      this.updateQueueGauge();
      this.notifyQueuePositions(candidates);
    } finally {
      this.pumping = false;
    }
  }

  private start(task: Task, decision: Extract<PlacementDecision, { outcome: "assigned" }>): void {
    const node = this.deps.registry.get(decision.node_id);
    if (node === undefined) {
      this.queue.requeueFront(task);
      return;
    }
    task.state = "dispatching";
    task.decision = decision;
    task.node_id = decision.node_id;
    task.pool_id = decision.pool_id;
    task.attempted_nodes.push(decision.node_id);
    task.started_at_ms ??= this.now();
    this.inflight.set(decision.pool_id, this.inflightOn(decision.pool_id) + 1);
    this.deps.metrics.tasksStarted.inc({ engine: task.engine, pool_id: decision.pool_id, priority: task.priority });
    this.notifiedPosition.delete(task.task_id);
    emitTaskEvent(task, {
      event: "metrics",
      data: { queue_depth: this.queue.depth, node_id: decision.node_id, pool_id: decision.pool_id, phase: "dispatched", attempt: task.attempted_nodes.length, human: `placed on ${decision.node_id}/${decision.pool_id}: ${decision.reasons.join("; ")}` },
    });
    this.deps.logger.info({ task_id: task.task_id, node_id: decision.node_id, pool_id: decision.pool_id, reasons: decision.reasons, attempt: task.attempted_nodes.length }, "task placed");
    this.emit("task", task);
    void this.stream(task, new WorkerClient(node.address, this.deps.workerToken(node.node_id)), decision.pool_id).finally(() => {
      this.inflight.set(decision.pool_id, Math.max(0, this.inflightOn(decision.pool_id) - 1));
      this.schedulePump();
    });
  }

  private async stream(task: Task, client: WorkerClient, poolId: string): Promise<void> {
    const upstream = new AbortController();
    task.upstream = upstream;
    const body: WorkerInferRequest = { task_id: task.task_id, ...task.generation };
    const nodeId = task.node_id as string;
    try {
      for await (const event of client.infer(poolId, body, upstream.signal)) {
        if (hasTerminalEvent(task)) return;
        this.forward(task, event);
        if (event.event === "error") {
          if (task.tokens_out === 0 && event.data.retriable !== false && replacesOnAnotherNode(event.data.code) && this.retry(task, `${event.data.code}: ${event.data.message ?? ""}`)) return;
          this.fail(task, event.data.code, event.data.message ?? "the worker reported an error");
          return;
        }
        if (event.event === "end") return;
      }
    } catch (err) {
      if (hasTerminalEvent(task)) return;
      const failure = err instanceof UpstreamError ? err.failure : { kind: "connection" as const, message: String(err) };
      if (failure.kind === "connection") this.deps.registry.markSuspect(nodeId, failure.message);
      const refusedPermanently = failure.kind === "refused" && failure.status >= 400 && failure.status < 500 && failure.status !== 404 && failure.status !== 429;
      if (task.tokens_out === 0 && !refusedPermanently && this.retry(task, err instanceof Error ? err.message : String(err))) return;
      if (failure.kind === "refused" && failure.envelope && task.tokens_out === 0) this.fail(task, failure.envelope.code, failure.envelope.message);
      else this.fail(task, "WORKER_RESET", `node ${nodeId} failed while serving the task: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (task.upstream === upstream) task.upstream = null;
    }
  }

  private forward(task: Task, event: SseEvent): void {
    switch (event.event) {
      case "started":
        task.state = "running";
        this.emit("task", task);
        return;
      case "token": {
        if (task.first_token_at_ms === null) {
          task.first_token_at_ms = this.now();
          this.deps.metrics.firstTokenLatency.observe({ pool_id: task.pool_id ?? "", priority: task.priority }, task.first_token_at_ms - task.enqueued_at_ms);
        }
        const wasRunning = task.state === "running";
        task.state = "running";
        if (emitTaskEvent(task, { event: "token", data: { t: event.data.t, i: task.tokens_out } })) {
          task.tokens_out++;
          this.deps.metrics.tokensOut.inc({ pool_id: task.pool_id ?? "" });
          this.emit("token", task);
        }
        if (!wasRunning) this.emit("task", task);
        return;
      }
      case "metrics":
        emitTaskEvent(task, { event: "metrics", data: { ...event.data, queue_depth: this.queue.depth } });
        return;
      case "end":
        this.finish(task, event.data.canceled ? "canceled" : "completed", event.data, {});
        return;
      case "error":
        return;
    }
  }

  /** Re-places a task that failed before its first token, once, on another node. */
  private retry(task: Task, why: string): boolean {
    if (task.attempted_nodes.length >= MAX_DISPATCH_ATTEMPTS || task.cancel_requested || this.closed) return false;
    this.deps.metrics.taskRetries.inc();
    this.deps.logger.warn({ task_id: task.task_id, node_id: task.node_id, why }, "dispatch failed before the first token; re-placing");
    task.state = "queued";
    task.node_id = null;
    task.pool_id = null;
    emitTaskEvent(task, { event: "metrics", data: { queue_depth: this.queue.depth + 1, phase: "re-placing", human: `first attempt failed (${why}); trying another node` } });
    this.queue.requeueFront(task);
    this.emit("task", task);
    this.schedulePump();
    return true;
  }

  private fail(task: Task, code: ErrorCode, message: string, extra: { retry_after_ms?: number } = {}): void {
    if (hasTerminalEvent(task)) return;
    task.error = { code, message };
    this.finish(task, "failed", null, {}, { code, message, retriable: ERROR_CODES[code].retriable, ...extra });
  }

  /** The one place a task reaches its terminal state: journal first, then the terminal event. */
  private finish(task: Task, state: "completed" | "canceled" | "failed", end: SseEndData | null, extra: { stop_reason?: SseEndData["stop_reason"] }, error?: { code: ErrorCode; message: string; retriable: boolean; retry_after_ms?: number }): void {
    if (hasTerminalEvent(task)) return;
    const now = this.now();
    task.state = state;
    task.finished_at_ms = now;
    task.tokens_in = end?.tokens_in ?? task.tokens_in;
    task.stop_reason = state === "canceled" ? "canceled" : (end?.stop_reason ?? extra.stop_reason ?? null);
    try {
      this.deps.journal.finished(task);
    } catch (err) {
      this.deps.logger.error({ task_id: task.task_id, err }, "task journal write failed");
    }
    const decodeMs = task.first_token_at_ms !== null ? now - task.first_token_at_ms : 0;
    this.deps.metrics.tasksCompleted.inc({ outcome: state });
    if (task.pool_id !== null && task.tokens_in !== null) this.deps.metrics.tokensIn.inc({ pool_id: task.pool_id }, task.tokens_in);
    if (state === "completed" && task.pool_id !== null) {
      this.deps.metrics.decodeLatency.observe({ pool_id: task.pool_id, priority: task.priority }, decodeMs);
      this.throughput.record(task.model.sha256, task.tokens_out, end?.decode_time_ms ?? decodeMs);
    }
    this.deps.sessions.noteCompletion(task.session_id, task.node_id && task.pool_id ? { node_id: task.node_id, pool_id: task.pool_id } : null, task.tokens_out, decodeMs);
    if (error) {
      emitTaskEvent(task, { event: "error", data: { code: error.code, message: error.message, retriable: error.retriable, ...(error.retry_after_ms !== undefined ? { retry_after_ms: error.retry_after_ms } : {}) } });
    } else {
      emitTaskEvent(task, {
        event: "end",
        data: {
          tokens_out: task.tokens_out,
          decode_ms: end?.decode_ms ?? decodeMs,
          decode_time_ms: end?.decode_time_ms ?? decodeMs,
          ...(state === "canceled" ? { canceled: true } : {}),
          ...(task.stop_reason ? { stop_reason: task.stop_reason } : {}),
          ...(task.first_token_at_ms !== null ? { first_token_ms: task.first_token_at_ms - task.enqueued_at_ms } : {}),
          ...(task.tokens_in !== null ? { tokens_in: task.tokens_in } : {}),
        },
      });
    }
    this.deps.logger.info({ task_id: task.task_id, state, node_id: task.node_id, pool_id: task.pool_id, tokens_out: task.tokens_out, error: task.error?.code }, "task finished");
    this.notifiedPosition.delete(task.task_id);
    this.emit("task", task);
    this.finishedOrder.push(task.task_id);
    while (this.finishedOrder.length > FINISHED_TASKS_KEPT) this.tasks.delete(this.finishedOrder.shift() as string);
  }

  private onNodeLost(nodeId: string, reason: string): void {
    for (const task of this.running()) {
      if (task.node_id === nodeId) {
        this.deps.logger.warn({ task_id: task.task_id, node_id: nodeId, reason }, "node lost while serving a task");
        task.upstream?.abort(new Error(reason));
      }
    }
    this.schedulePump();
  }

  private running(): Task[] {
    return [...this.tasks.values()].filter((t) => t.state === "dispatching" || t.state === "running");
  }

  private placementRequest(task: Task) {
    return {
      ...task.placement,
      model_sha256: task.model.sha256,
      model_size_bytes: task.model.size_bytes,
      session_pool_id: this.deps.sessions.affinity(task.session_id),
      exclude_nodes: task.attempted_nodes,
    };
  }

  private policy() {
    const cfg = this.deps.config();
    return { strategy: cfg.placement_strategy, sequence: this.placementSequence, seed: cfg.placement_seed };
  }

  private recordDecision(decision: PlacementDecision): void {
    this.deps.metrics.placementCandidates.set(decision.candidates.length);
    this.deps.metrics.placementDecisions.inc({
      outcome: decision.outcome,
      pinned: String(decision.pinned),
      fallback: String(decision.outcome === "assigned" && decision.fallback_used),
    });
  }

  private updateQueueGauge(): void {
    this.deps.metrics.queueDepth.set({ priority: "interactive" }, this.queue.depthOf("interactive"));
    this.deps.metrics.queueDepth.set({ priority: "batch" }, this.queue.depthOf("batch"));
  }

  /** Queued tasks learn their new position when it changes (a `metrics` event with queue_position). */
  private notifyQueuePositions(candidates: PlacementCandidate[]): void {
    const depth = this.queue.depth;
    for (const task of this.queue.items()) {
      const position = this.queue.positionOf(task.task_id);
      if (this.notifiedPosition.get(task.task_id) === position) continue;
      if (this.notifiedPosition.has(task.task_id) || position !== task.queue_position_at_admission) {
        const predicted = this.predictStartMs(task, candidates);
        task.predicted_start_ms = predicted;
        emitTaskEvent(task, { event: "metrics", data: { queue_depth: depth, queue_position: position, predicted_start_ms: predicted, human: `waiting: position ${position}, expected start in ${predicted} ms` } });
        this.emit("task", task);
      }
      this.notifiedPosition.set(task.task_id, position);
    }
  }

  /**
   * Expected wait before a task starts: the work queued ahead of it for the same model (their
   * max_tokens at the model's measured tokens/s), spread over the slots that serve the model,
   * less what free slots absorb at once.
   */
  predictStartMs(task: Task, candidates: PlacementCandidate[] = this.candidates()): number {
    const pools = candidates.filter((c) => c.node_schedulable && c.ready && !c.draining && (c.loaded_model === task.model.sha256 || c.models_available.includes(task.model.sha256)));
    const totalSlots = pools.reduce((n, p) => n + p.slots_total, 0);
    const freeSlots = pools.reduce((n, p) => n + p.slots_free, 0);
    const ahead: Task[] = [];
    for (const queued of this.queue.items()) {
      if (queued.task_id === task.task_id) break;
      if (queued.model.sha256 === task.model.sha256) ahead.push(queued);
    }
    if (ahead.length < freeSlots) return 0;
    const waiting = ahead.slice(freeSlots);
    const running = this.running().filter((t) => t.model.sha256 === task.model.sha256);
    const reported = pools.map((p) => p.tokens_per_second).filter((v): v is number => v !== undefined && v > 0);
    const tps = this.throughput.estimate(task.model.sha256, reported.length > 0 ? reported.reduce((a, b) => a + b, 0) / reported.length : undefined);
    const tokensAhead = waiting.reduce((n, t) => n + t.generation.max_tokens, 0) + running.reduce((n, t) => n + Math.max(0, t.generation.max_tokens - t.tokens_out), 0) / Math.max(1, running.length);
    return Math.round((tokensAhead / tps / Math.max(1, totalSlots)) * 1000);
  }
}

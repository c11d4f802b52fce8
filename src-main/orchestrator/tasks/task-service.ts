import { isDiskFull } from "../../../src-shared/errors/disk-full.js";
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import type { SseEndData, SseEvent } from "../../../src-shared/streaming/sse-events.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { SessionInfo } from "../../../src-shared/sessions/session.js";
import { isTerminalTaskState, type TaskStatus } from "../../../src-shared/tasks/task-status.js";
import type { TaskJournal, TaskJournalRow } from "../db/task-journal.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import type { PlacementDecision } from "../placement/placement-types.js";
import type { NodeRegistry } from "../registry/node-registry.js";
import type { Priority } from "../scheduling/admission-queue.js";
import type { AssignedDecision, SchedulerHooks, TaskFailure } from "../scheduling/schedulable-task.js";
import { Scheduler } from "../scheduling/scheduler.js";
import type { SessionStore } from "../scheduling/session-store.js";
import type { WorkerClients } from "../workers/worker-clients.js";
import type { WorkerProgressEvent } from "../workers/worker-stream.js";
import type { AliasTable, ResolvedModel } from "../catalog/model-resolver.js";
import { admitTask, type AdmissionInput } from "./admit-task.js";
import { acceptedRecord, placedRecord } from "./journal-records.js";
import { outcomeEvent } from "./journal-outcome.js";
import { revivedTask } from "./revived-task.js";
import { journaledOwner, outlivesConnection, taskFromJournal } from "./stored-task.js";
import { emitTaskEvent, followTask, hasTerminalEvent, outputRetractable, rewindTask } from "./task-events.js";
import { journalTaskStatus, taskStatus } from "./task-status.js";
import type { PlacementDetail } from "./task-status.js";
import { TaskTable } from "./task-table.js";
import { finishTask, type TaskEnding, type TaskTerminalDeps } from "./task-terminal.js";
import type { CancelReason, Task } from "./task.js";
import { TaskTrace } from "./task-trace.js";
import { quotaReservation, type KeyUsageMeter } from "../auth/key-usage-meter.js";
import { NOOP_TRACING, type Tracing } from "../../../src-node/tracing/tracing.js";

export interface TaskServiceDeps {
  config: () => OrchestratorConfig;
  /** Per-key limits checked at admission and usage counted at each task's end (auth/key-usage-meter.ts). */
  keyUsage?: KeyUsageMeter;
  /** Every model some node reports, with unique ids. */
  clusterModels: () => ResolvedModel[];
  /** sha256 of models retired in the catalog. */
  retiredModels: () => ReadonlySet<string>;
  /** Operator aliases (name → sha256); absent: none. */
  modelAliases?: (() => AliasTable) | undefined;
  registry: NodeRegistry;
  sessions: SessionStore;
  journal: TaskJournal;
  workers: WorkerClients;
  metrics: OrchestratorMetrics;
  logger: Logger;
  now?: () => number;
  /** Spans of each task's path (the no-op when tracing is off). */
  tracing?: Tracing;
}

export interface TaskServiceEvents {
  /** A task changed state, placement or queue position (the dashboard feed listens). */
  task: [task: Task];
  /** A token was streamed to a client. */
  token: [task: Task];
  /** An admission was undone (its journal write failed or the id was taken): the task never existed. */
  forgotten: [task: Task];
}

const PROGRESS_FLUSH_MS = 1000;

/** `per_key_limit`: refused because the task's API key already has that many queued (else: the queue is full). */
export type EnqueueOutcome = { accepted: true; position: number; predicted_start_ms: number } | { accepted: false; per_key_limit?: number };

/**
 * The task room's facade: what HTTP handlers and the dashboard feed call. It owns every accepted
 * task from admission to its one terminal event; the scheduler reports each step back through the
 * hooks below, which are the task's state machine (queued → dispatching → running → terminal).
 * (About 350 lines: the facade and the hooks are one state machine; the terminal step, the table,
 * admission and journal records are in files of their own.)
 */
export class TaskService extends EventEmitter<TaskServiceEvents> implements SchedulerHooks<Task> {
  readonly scheduler: Scheduler<Task>;
  private readonly table = new TaskTable();
  /** Each admitted task's group commit (see enqueue). */
  private readonly commits = new WeakMap<Task, Promise<void>>();
  /** Tasks on a worker right now, with the token count last written to the journal. */
  private readonly onWorkers = new Map<Task, number>();
  private readonly progressTimer: NodeJS.Timeout;
  /** Rescued tasks whose first token the latency histogram already counted (a rescue starts their output over). */
  private readonly firstTokenSeen = new WeakSet<Task>();
  private readonly terminal: TaskTerminalDeps;
  private readonly now: () => number;
  /** True during a pass that dispatches a task before its accept commits: its journal writes join the batch. */
  private commitAfterDispatch = false;
  /** Queued tasks a graceful stop kept for the next start: their clients hanging up does not cancel them. */
  private readonly keptForRestart = new Set<string>();

  constructor(private readonly deps: TaskServiceDeps) {
    super();
    this.now = deps.now ?? Date.now;
    this.scheduler = new Scheduler<Task>({ ...deps, hooks: this });
    this.terminal = { ...deps, now: this.now, recordThroughput: (sha, tokens, ms) => this.scheduler.recordThroughput(sha, tokens, ms) };
    // Token counts reach the journal in one batch a second, so a crash records how far tasks got.
    this.progressTimer = setInterval(() => this.flushProgress(), PROGRESS_FLUSH_MS);
    this.progressTimer.unref();
  }

  /**
   * Queues again the tasks a previous run acknowledged but never placed (crash-proof admission).
   * Their streams start over with `started`; their deadlines are the ones they were admitted with.
   */
  restore(rows: readonly TaskJournalRow[]): Task[] {
    const restored: Task[] = [];
    for (const row of rows) {
      const task = taskFromJournal(row);
      if (task === null || this.table.get(task.task_id) !== undefined) continue;
      this.table.add(task);
      const position = this.scheduler.restore(task, this.deps.config().node_timeout_ms);
      task.queue_position_at_admission = position;
      this.deps.keyUsage?.resumed(task.owner, { task_id: task.task_id, reserve_tokens: quotaReservation(task.generation.max_tokens, task.model.context_length) });
      emitTaskEvent(task, { event: "started", data: { queue_position: position, predicted_start_ms: 0, task_id: task.task_id, model: task.model.sha256 } });
      restored.push(task);
    }
    this.scheduler.schedulePump();
    return restored;
  }

  /**
   * The task an Idempotency-Key was first used for: in memory, or rebuilt from the journal's kept
   * result (evicted, or from before a restart), or a failed task's recorded outcome; only its id when
   * the result was not kept (too large, past retention): the caller refuses rather than runs twice.
   */
  forIdempotencyKey(key: string): { task: Task } | { task_id: string } | null {
    const inMemory = this.table.forKey(key);
    if (inMemory !== undefined) return { task: inMemory };
    const taskId = this.deps.journal.taskForIdempotencyKey(key);
    if (taskId === null) return null;
    const task = this.table.get(taskId) ?? this.revive(taskId) ?? this.failedOutcome(taskId);
    return task === undefined ? { task_id: taskId } : { task };
  }

  /**
   * A finished task that left memory, back in the table from the stream the journal kept for it
   * (keyed tasks only): its events replay with the same ids as the live stream had.
   */
  revive(taskId: string): Task | undefined {
    const kept = this.deps.journal.keptStream(taskId);
    const row = kept === null ? null : this.deps.journal.get(taskId);
    const task = row === null || kept === null ? null : revivedTask(row, kept.events);
    if (task === null) return undefined;
    // Its ids as the live stream had them; a result kept before boots were recorded gets this run's.
    if (kept?.boot_id !== null && kept?.boot_id !== undefined) task.events_boot = kept.boot_id;
    this.table.add(task);
    this.table.finished(task);
    return task;
  }

  /**
   * A failed task whose stream was not kept (a restart ended it while it ran): its outcome is the
   * error, and that is what a retry gets. Detached (not in the table): its event ids are not the
   * original ones, so it must not serve a Last-Event-ID resume.
   */
  private failedOutcome(taskId: string): Task | undefined {
    const row = this.deps.journal.get(taskId);
    if (row === null || row.state !== "failed" || row.finished_at_ms === null) return undefined;
    const started: SseEvent = { event: "started", data: { queue_position: 0, predicted_start_ms: 0, task_id: taskId, model: row.model } };
    return revivedTask(row, [started, outcomeEvent(row)]) ?? undefined;
  }

  /**
   * Admission shared by /v2/tasks and the compatible APIs; throws OrchError with the reason. On
   * success the task is journaled, queued and has its `started` event.
   */
  admit(input: AdmissionInput): Task {
    const trace = TaskTrace.start(this.deps.tracing ?? NOOP_TRACING, input.trace_parent, input.api);
    // The trace rides on the task from before its enqueue, so a drop-lru victim's end is traced too.
    const tasks = { closing: () => this.closing, exists: (id: string) => this.exists(id), preview: (t: Task, ignoreBusy: boolean) => this.scheduler.preview(t, ignoreBusy), holdsForReregistration: () => this.scheduler.holdsForReregistration(), enqueue: (t: Task) => {
        t.trace = trace;
        return this.enqueue(t, input.dispatch_before_commit === true && input.task_id === undefined);
      } };
    let task: Task;
    try {
      task = admitTask({ ...this.deps, tasks }, input);
    } catch (err) {
      trace.refused(err instanceof OrchError ? err.code : "INTERNAL", err instanceof Error ? err.message : String(err));
      throw err;
    }
    trace.admitted(task, task.queue_position_at_admission);
    return task;
  }

  /**
   * A session's metadata (turns, budgets, affinity); sessions start with their first task. A client sees
   * the sessions its own credential started; `anyOwner` (admin and read) also finds other clients'.
   */
  session(owner: string | null, sessionId: string, anyOwner: boolean): SessionInfo {
    const info = this.deps.sessions.info(owner, sessionId, anyOwner);
    if (info === null) throw new OrchError("SESSION_NOT_FOUND", `no session ${sessionId} (sessions start with their first task and expire after their TTL)`);
    return info;
  }

  deleteSession(owner: string | null, sessionId: string, anyOwner: boolean): void {
    if (!this.deps.sessions.delete(owner, sessionId, anyOwner)) throw new OrchError("SESSION_NOT_FOUND", `no session ${sessionId}`);
  }

  /** Budget headers for a session's responses (X-Session-*). */
  sessionHeaders(task: { readonly owner: string | null; readonly session_id: string }): Record<string, string> {
    return this.deps.sessions.budgetHeaders(task.owner, task.session_id);
  }

  get(taskId: string): Task | undefined {
    return this.table.get(taskId);
  }

  /**
   * Known in memory. Ids only the journal holds (finished and evicted, or from an earlier run) are
   * caught by its unique key when the accept commits: no SELECT per admission.
   */
  exists(taskId: string): boolean {
    return this.table.get(taskId) !== undefined;
  }

  /** Admission that resolves once the task's journal row is committed (the 202 goes out after it). */
  async admitDurable(input: AdmissionInput): Promise<Task> {
    const task = this.admit(input);
    await this.durable(task);
    return task;
  }

  /** Settles when the task's accept record is committed; rejects (and the task is undone) if it is not. */
  durable(task: Task): Promise<void> {
    return this.commits.get(task) ?? Promise.resolve();
  }

  /** Tasks in memory: queued in dispatch order, then the others, newest first. */
  list(): Task[] {
    return [...this.scheduler.queued(), ...this.table.notQueued()];
  }

  /** Tasks dispatching or running: counted over the tasks on workers, not the whole table (the feed asks every second). */
  activeCount(): number {
    let n = 0;
    for (const task of this.onWorkers.keys()) if (task.state === "running" || task.state === "dispatching") n++;
    return n;
  }

  /** Sizes of the per-task structures in memory. */
  memoryStats(): Record<string, number> {
    return { ...this.table.sizes(), on_workers: this.onWorkers.size, ...this.scheduler.memoryStats() };
  }

  /** A queued task's place in dispatch order (0 = next), null when it is not queued. */
  queuePosition(taskId: string): number | null {
    return this.scheduler.positionOf(taskId);
  }

  /** `detail` "top": the placement's top candidates only (the dashboard feed); "full": every candidate's verdict. */
  status(task: Task, detail: PlacementDetail = "full"): TaskStatus {
    return taskStatus(task, this.scheduler.positionOf(task.task_id), null, detail);
  }

  /**
   * The terminal event of a task that only the journal still knows (finished and evicted from
   * memory, or ended by a restart): a reconnecting client gets the outcome instead of a 404.
   */
  journaledOutcome(taskId: string): SseEvent | null {
    const row = this.deps.journal.get(taskId);
    return row === null || row.finished_at_ms === null ? null : outcomeEvent(row);
  }

  /**
   * Who admitted a task (Identity.credentialId): from memory, else from its journal row; null when
   * the row predates owners, undefined when no task has this id.
   */
  ownerOf(taskId: string): string | null | undefined {
    const task = this.table.get(taskId);
    if (task !== undefined) return task.owner;
    const row = this.deps.journal.get(taskId);
    return row === null ? undefined : journaledOwner(row);
  }

  /**
   * The queue board's older part: tasks only the journal still knows (finished before a restart,
   * ended by one, or evicted from memory), newest first, without those in `inMemory`. `owner`
   * limits them to one credential's tasks.
   */
  journaledList(limit: number, filter: { state?: TaskStatus["state"]; owner?: string; inMemory: ReadonlySet<string> }): TaskStatus[] {
    // Every unfinished task is in memory (a restart queues or ends each one): the journal adds finished ones only.
    if (filter.state !== undefined && !isTerminalTaskState(filter.state)) return [];
    const rows = this.deps.journal.recent(limit, { ...(filter.state !== undefined ? { state: filter.state } : {}), ...(filter.owner !== undefined ? { owner: filter.owner } : {}), except: filter.inMemory });
    return rows.map((row) => journalTaskStatus(row));
  }

  /** A finished task that only the journal still knows. */
  journaled(taskId: string): TaskStatus | null {
    const row: TaskJournalRow | null = this.deps.journal.get(taskId);
    return row === null ? null : journalTaskStatus(row);
  }

  queueDepth(priority?: Priority): number {
    return priority === undefined ? this.scheduler.depth : this.scheduler.depthOf(priority);
  }

  follow = followTask;

  /**
   * Queues an admitted task (validation, model and budget checks happened before). Its journal row
   * is group-committed with the others of this turn, before any placement pass (beforePass) and
   * before `durable(task)` settles: nothing is acknowledged that is not journaled. When it could start
   * at once (empty queue, free slot) the batch commits now and the task is placed in this turn. A failed write,
   * or a task id the journal already holds, undoes the enqueue (a drop-lru victim is put back).
   * `dispatchBeforeCommit` (a server-made task id, a client that gets nothing before the end): a task that can
   * start at once is dispatched first, and its accept and placement commit together at the end of the turn,
   * after the request has left for the worker; the journal's order is kept (every other write flushes
   * the batch first). Should that commit fail, the task is stopped and ends with one INTERNAL error.
   */
  enqueue(task: Task, dispatchBeforeCommit = false): EnqueueOutcome {
    const result = this.scheduler.enqueue(task);
    if (!result.accepted) return result.per_key_limit === undefined ? { accepted: false } : { accepted: false, per_key_limit: result.per_key_limit };
    this.table.add(task);
    task.queue_position_at_admission = result.position;
    task.predicted_start_ms = this.scheduler.predictStartMs(task, result.position);
    emitTaskEvent(task, { event: "started", data: { queue_position: result.position, predicted_start_ms: task.predicted_start_ms, task_id: task.task_id, model: task.model.sha256 } });
    const durable = new Promise<void>((resolve, reject) => {
      this.deps.journal.acceptBatched(acceptedRecord(task), (outcome) => {
        if (outcome === "inserted") {
          this.deps.metrics.tasksEnqueued.inc({ priority: task.priority });
          if (result.dropped !== null) this.failed(result.dropped, { code: "QUEUE_FULL_DROP_LRU", message: "dropped from the full queue (drop-lru policy) to admit a newer task", retry_after_ms: this.deps.config().retry_after_ms });
          resolve();
          return;
        }
        if (task.attempted_nodes.length > 0) {
          // Dispatched before its accept committed (only a server-made id, so never a duplicate): it ran (and
          // may be back in the queue for another node), so it is stopped and ends with its one terminal event.
          this.deps.logger.error({ task_id: task.task_id, err: outcome }, "task journal write failed after its dispatch; the task is stopped");
          this.scheduler.undoEnqueue(task, result);
          this.scheduler.withdraw(task);
          this.end(task, { state: "failed", failure: isDiskFull(outcome) ? { code: "STORAGE_FULL", message: "the task could not be recorded: the orchestrator's disk is full; it was stopped", retry_after_ms: this.deps.config().retry_after_ms } : { code: "INTERNAL", message: "the task could not be recorded (database write failed); it was stopped" } });
          reject(outcome);
          return;
        }
        this.scheduler.undoEnqueue(task, result);
        this.table.remove(task.task_id);
        const refused =
          outcome === "duplicate" ? { code: "CONFLICT" as const, message: `task ${task.task_id} already exists; task ids are unique` }
          : isDiskFull(outcome) ? { code: "STORAGE_FULL" as const, message: "the task could not be recorded: the orchestrator's disk is full; nothing was queued" }
          : { code: "INTERNAL" as const, message: "the task could not be recorded (database write failed); nothing was queued" };
        task.trace.finished({ state: "failed", error: refused, tokens_in: null, tokens_out: 0 });
        this.deps.keyUsage?.finished(task.owner, 0, 0, task.task_id); // frees what it held of its key's quota
        // A caller that did not wait for the commit (a compatible surface's stream) follows the task: it gets
        // this one error instead of waiting for events that will never come.
        emitTaskEvent(task, { event: "error", data: { code: refused.code, message: refused.message, retriable: refused.code !== "CONFLICT" } });
        this.emit("forgotten", task);
        reject(outcome === "duplicate" ? new OrchError("CONFLICT", `task ${task.task_id} already exists; task ids are unique`) : outcome);
      });
    });
    durable.catch(() => undefined); // callers that do not wait (compat streams) must not see an unhandled rejection
    this.commits.set(task, durable);
    this.emit("task", task);
    if (this.scheduler.canStartNow(task)) {
      if (dispatchBeforeCommit) {
        this.commitAfterDispatch = true;
        try {
          this.scheduler.pumpNow();
        } finally {
          this.commitAfterDispatch = false;
        }
      } else {
        // An idle slot and an empty queue: commit this turn's accepts now (a batch of one, or a few) and
        // place at once, so the dispatch does not wait for the check phase. The commit still precedes it.
        this.deps.journal.flush();
        this.scheduler.pumpNow();
      }
    } else {
      this.scheduler.schedulePump();
    }
    return { accepted: true, position: result.position, predicted_start_ms: task.predicted_start_ms };
  }

  /** Cancels a task wherever it is. The stream ends with `end` + canceled:true; no token follows. */
  cancel(taskId: string, reason: CancelReason): boolean {
    const task = this.table.get(taskId);
    if (task === undefined || hasTerminalEvent(task)) return false;
    // The stop closes every connection; the next start runs the task for the client that comes back.
    if (reason === "disconnect" && this.keptForRestart.has(taskId)) return false;
    task.cancel_requested = true;
    task.cancel_reason = reason;
    this.deps.metrics.tasksCanceled.inc({ reason });
    this.scheduler.withdraw(task);
    this.end(task, { state: "canceled", end: null });
    return true;
  }

  /**
   * Cancels every queued and running task of a credential (a revoked API key): /v2 and keyed tasks
   * outlive their connection, so ending its open streams alone left them to run for a client that may
   * no longer use the cluster. Returns how many were canceled.
   */
  cancelOwnedBy(owner: string): number {
    let canceled = 0;
    for (const task of this.table.unfinishedOf(owner, hasTerminalEvent)) if (this.cancel(task.task_id, "operator")) canceled++;
    return canceled;
  }

  /**
   * Stops admitting and placing; queued tasks are kept for the next start or failed as `shutdown_queued_tasks`
   * says, running ones go on. The first step of shutdown(), taken on its own before the process's own worker
   * stops (a worker leaving would otherwise fail the queue: no node holds the model).
   */
  closeQueue(): void {
    if (this.scheduler.isClosed) return;
    const keepQueued = this.deps.config().shutdown_queued_tasks === "keep";
    const kept = this.scheduler.closeQueue((task) => {
      if (!keepQueued || !outlivesConnection(task)) return false;
      this.keptForRestart.add(task.task_id);
      return true;
    });
    if (kept > 0) this.deps.logger.info({ tasks: kept }, "queued tasks kept in the journal: the next start runs them");
  }

  /** True once shutdown began: new tasks are refused as retriable. */
  get closing(): boolean {
    return this.scheduler.isClosed;
  }

  /**
   * Stops admitting. Queued tasks a client can still get the result of after a restart (/v2, or keyed)
   * stay queued in the journal when `shutdown_queued_tasks` is keep, so a graceful stop loses no more
   * than a crash would; the others fail now. Running ones get until the grace period to finish.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closeQueue();
    await this.scheduler.shutdown(graceMs);
    clearInterval(this.progressTimer);
    this.flushProgress();
  }

  // --- SchedulerHooks: the task's state machine, driven by the scheduler ---

  /** Pending accepts are committed before any task is placed, except in a pass that dispatches before its commit (enqueue). */
  beforePass(): void {
    if (!this.commitAfterDispatch) this.deps.journal.flush();
  }

  placed(task: Task, decision: AssignedDecision): string | undefined {
    task.state = "dispatching";
    task.decision = decision;
    this.table.placed(task);
    task.node_id = decision.node_id;
    task.pool_id = decision.pool_id;
    task.started_at_ms ??= this.now();
    this.deps.metrics.tasksStarted.inc({ engine: task.engine, pool_id: decision.pool_id, priority: task.priority });
    emitTaskEvent(task, {
      event: "metrics",
      data: { queue_depth: this.scheduler.depth, node_id: decision.node_id, pool_id: decision.pool_id, phase: "dispatched", attempt: task.attempted_nodes.length, human: `placed on ${decision.node_id}/${decision.pool_id}: ${decision.reasons.join("; ")}` },
    });
    this.deps.logger.info({ task_id: task.task_id, node_id: decision.node_id, pool_id: decision.pool_id, reasons: decision.reasons, attempt: task.attempted_nodes.length }, "task placed");
    this.onWorkers.set(task, 0);
    this.journalPlacement(task);
    this.emit("task", task);
    return task.trace.placed(task, decision);
  }

  progress(task: Task, event: WorkerProgressEvent): void {
    switch (event.event) {
      case "started":
        task.state = "running";
        this.emit("task", task);
        return;
      case "token": {
        if (task.first_token_at_ms === null) {
          task.first_token_at_ms = this.now();
          task.trace.firstToken();
          // A rescued attempt's first token is not the task's first: the histogram counts each task once.
          if (task.rescues === 0 || !this.firstTokenSeen.has(task)) {
            this.deps.metrics.firstTokenLatency.observe({ pool_id: task.pool_id ?? "", priority: task.priority }, task.first_token_at_ms - task.enqueued_at_ms);
          }
        }
        const wasRunning = task.state === "running";
        task.state = "running";
        const { t, logprobs, tool_call } = event.data;
        // A plain token (the common case) is one small object: no spread of empty extras per token.
        const data = logprobs === undefined && tool_call === undefined ? { t, i: task.tokens_out } : { t, i: task.tokens_out, ...(logprobs !== undefined ? { logprobs } : {}), ...(tool_call !== undefined ? { tool_call } : {}) };
        if (emitTaskEvent(task, { event: "token", data })) {
          task.tokens_out++;
          this.deps.metrics.tokensOut.inc({ pool_id: task.pool_id ?? "" });
          this.emit("token", task);
        }
        if (!wasRunning) this.emit("task", task);
        return;
      }
      case "metrics":
        // The prompt's size before any output: what a stream can announce up front (Anthropic's message_start).
        if (event.data.tokens_in !== undefined) task.tokens_in = event.data.tokens_in;
        emitTaskEvent(task, { event: "metrics", data: { ...event.data, queue_depth: this.scheduler.depth } });
        return;
      case "embedding":
      case "score":
        task.state = "running";
        // Counted as each input is done, as tokens are as they stream: a request canceled before its end
        // (a client that gave up on 2,048 inputs) is booked with what the worker embedded or ranked, and the
        // worker's end, when it comes, gives the total.
        task.tokens_in = (task.tokens_in ?? 0) + event.data.tokens;
        emitTaskEvent(task, event);
        return;
    }
  }

  ended(task: Task, data: SseEndData): void {
    this.end(task, { state: data.canceled ? "canceled" : "completed", end: data });
  }

  failed(task: Task, failure: TaskFailure, decision?: PlacementDecision): void {
    if (decision !== undefined) task.decision = decision;
    this.end(task, { state: "failed", failure });
  }

  replacing(task: Task, why: string): void {
    task.trace.replacing(why);
    task.state = "queued";
    task.node_id = null;
    task.pool_id = null;
    emitTaskEvent(task, { event: "metrics", data: { queue_depth: this.scheduler.depth, phase: "re-placing", human: `first attempt failed (${why}); trying another node` } });
    this.onWorkers.delete(task);
    this.journalPlacement(task);
    this.emit("task", task);
    this.scheduler.schedulePump();
  }

  outputRetractable(task: Task): boolean {
    return outputRetractable(task);
  }

  /**
   * The attempt failed and no client received a token: its output is discarded (events from the first
   * token on, token count, what buffering subscribers collected; the journal's count too) and the task
   * waits at the head of the queue for its next attempt, which answers as if nothing had happened.
   */
  rescuing(task: Task, why: string): void {
    const node = task.node_id;
    if (task.first_token_at_ms !== null) this.firstTokenSeen.add(task);
    const discarded = rewindTask(task);
    task.rescues++;
    task.trace.rescuing(why, discarded);
    task.state = "queued";
    task.node_id = null;
    task.pool_id = null;
    emitTaskEvent(task, {
      event: "metrics",
      data: { queue_depth: this.scheduler.depth, phase: "rescuing", rescue: task.rescues, tokens_discarded: discarded, human: `attempt on ${node ?? "?"} failed (${why}) after ${discarded} tokens that no client had received; discarded them, placing the task again (rescue ${task.rescues})` },
    });
    this.onWorkers.delete(task);
    this.journalPlacement(task);
    try {
      this.deps.journal.progress([{ task_id: task.task_id, tokens_out: 0, first_token_at_ms: null }]);
    } catch (err) {
      this.deps.logger.error({ task_id: task.task_id, err }, "task journal write failed (rescue)");
    }
    this.emit("task", task);
    this.scheduler.schedulePump();
  }

  waiting(task: Task, position: number, predictedStartMs: number, queueDepth: number): void {
    task.predicted_start_ms = predictedStartMs;
    emitTaskEvent(task, { event: "metrics", data: { queue_depth: queueDepth, queue_position: position, predicted_start_ms: predictedStartMs, human: `waiting: position ${position}, expected start in ${predictedStartMs} ms` } });
    this.emit("task", task);
  }

  isTerminal(task: Task): boolean {
    return hasTerminalEvent(task);
  }

  private journalPlacement(task: Task): void {
    if (this.commitAfterDispatch) {
      this.deps.journal.placedBatched(placedRecord(task), (err) => this.deps.logger.error({ task_id: task.task_id, err }, "task journal write failed (placement)"));
      return;
    }
    try {
      this.deps.journal.placed(placedRecord(task));
    } catch (err) {
      this.deps.logger.error({ task_id: task.task_id, err }, "task journal write failed (placement)");
    }
  }

  private flushProgress(): void {
    const rows = [];
    for (const [task, written] of this.onWorkers) {
      if (task.tokens_out === written) continue;
      rows.push({ task_id: task.task_id, tokens_out: task.tokens_out, first_token_at_ms: task.first_token_at_ms });
      this.onWorkers.set(task, task.tokens_out);
    }
    try {
      this.deps.journal.progress(rows);
    } catch (err) {
      this.deps.logger.error({ err }, "task journal write failed (progress)");
    }
  }

  private end(task: Task, ending: TaskEnding): void {
    this.onWorkers.delete(task);
    if (!finishTask(this.terminal, task, ending)) return;
    this.deps.keyUsage?.finished(task.owner, task.tokens_in ?? 0, task.tokens_out, task.task_id, task.finished_at_ms ?? undefined);
    task.trace.finished(task);
    this.emit("task", task);
    this.table.finished(task);
  }
}

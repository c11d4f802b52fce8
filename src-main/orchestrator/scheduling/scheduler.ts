import type { Logger } from "pino";
import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import { ERROR_CODES } from "../../../src-shared/errors/error-codes.js";
import { steadyNow } from "../../../src-node/steady-clock.js";
import type { SseEndData } from "../../../src-shared/streaming/sse-events.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import { placeTask } from "../placement/place-task.js";
import type { PlacementCandidate, PlacementDecision, PlacementRequest } from "../placement/placement-types.js";
import type { NodeRegistry } from "../registry/node-registry.js";
import { shouldReplace, shouldRescue } from "../workers/replace-policy.js";
import type { WorkerClients } from "../workers/worker-clients.js";
import { streamFromWorker, type WorkerProgressEvent, type WorkerStreamOutcome } from "../workers/worker-stream.js";
import type { EnqueueResult, Priority } from "./admission-queue.js";
import { HoldersByModel } from "./holders-by-model.js";
import { ModelCapacity } from "./model-capacity.js";
import { queuedPerKeyLimit } from "./per-key-limit.js";
import { poolCandidates } from "./pool-candidates.js";
import { PoolEjections } from "./pool-ejections.js";
import type { AssignedDecision, SchedulableTask, SchedulerHooks } from "./schedulable-task.js";
import type { SessionStore } from "./session-store.js";
import { StartTimePredictor } from "./start-time-predictor.js";
import { WaitingLine } from "./waiting-line.js";


export interface SchedulerDeps<T extends SchedulableTask> {
  config: () => OrchestratorConfig;
  registry: NodeRegistry;
  sessions: SessionStore;
  workers: WorkerClients;
  metrics: OrchestratorMetrics;
  logger: Logger;
  hooks: SchedulerHooks<T>;
  now?: () => number;
}

interface RunningTask<T> {
  task: T;
  node_id: string;
  pool_id: string;
  abort: AbortController;
  /** The worker sent a first token (or an answer) on this attempt: the pool's failure count starts over. */
  progressed: boolean;
}

/**
 * From the admission queue to a worker and back: the bounded priority queue, the placement loop
 * over the pure placeTask() as slots free up, the attempt on the chosen worker, re-placement once
 * after a failure before the first token, deadlines, queue positions and predicted start times.
 * The task's own state and events belong to the task room, reached through `hooks`.
 * (Over ~350 lines on purpose: the pass, the attempt and its settlement share the in-flight counts
 * and the running set; the queue's own bookkeeping lives in waiting-line.ts.)
 */
export class Scheduler<T extends SchedulableTask> {
  private readonly queue: WaitingLine<T>;
  private readonly running = new Map<string, RunningTask<T>>();
  private readonly inflight = new Map<string, number>();
  private readonly predictor = new StartTimePredictor();
  /**
   * When the failed attempt of each task that may wait for the node that failed it ended: a rescued task,
   * or one whose pool refused it or lost its engine before any token (the node lives, its engine restarts).
   * A node that failed it is not tried again at once.
   */
  private readonly rescuedAt = new WeakMap<T, number>();
  private placementSequence = 0;
  /** Tasks enqueued since the last pass; a pass with nothing else changed considers only these. */
  private fresh: T[] = [];
  /** Capacity may have changed since the last pass: consider every queued task. */
  private fullPass = true;
  /**
   * Bounds on what a full pass could act on: the queued tasks' models (a superset), their earliest
   * deadline (a lower bound) and whether one may be a re-placement. Noted on every entry to the queue,
   * recomputed by each full walk; a stale entry only costs a walk. See `nothingToDo`.
   */
  private queuedModels = new Set<string>();
  private earliestDeadline = Infinity;
  private replacedQueued = false;
  /** Until then (after a restart), "no node holds the model" means "not re-registered yet": wait. */
  private holdUntil = 0;
  private holdTimerSet = false;
  private pumpScheduled = false;
  private pumping = false;
  private closed = false;
  private readonly now: () => number;
  /** Pools failing tasks before their first token, ejected from placement for a while (outlier ejection). */
  readonly ejections: PoolEjections;

  constructor(private readonly deps: SchedulerDeps<T>) {
    const cfg = deps.config();
    this.queue = new WaitingLine<T>(cfg.admission_capacity, cfg.admission_policy);
    deps.metrics.admissionCapacity.set(cfg.admission_capacity);
    this.now = deps.now ?? steadyNow;
    this.ejections = new PoolEjections(() => {
      const c = this.deps.config();
      return { consecutive: c.outlier_consecutive_failures, base_ms: c.outlier_ejection_base_ms, max_ms: c.outlier_ejection_max_ms };
    }, this.now);
    // A heartbeat that changed nothing placement depends on does not start a pass (the periodic tick still runs).
    deps.registry.on("changed", (_nodeId, change) => {
      if (change === "state") this.reconsiderAll();
    });
    deps.registry.on("lost", (nodeId, reason) => this.onNodeLost(nodeId, reason));
    deps.registry.on("poolGone", (poolId) => this.ejections.forget(poolId));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Capacity and full policy changed (settings). */
  configure(): void {
    const cfg = this.deps.config();
    this.queue.configure(cfg.admission_capacity, cfg.admission_policy);
    this.deps.metrics.admissionCapacity.set(cfg.admission_capacity);
    this.reconsiderAll();
  }

  /** Capacity may have changed (or time passed: deadlines): the next pass considers every queued task. */
  reconsiderAll(): void {
    this.fullPass = true;
    this.schedulePump();
  }

  /**
   * Queues a task in its fair place. Under drop-lru the result may name a dropped victim, which the caller
   * must fail; a refusal with `per_key_limit` means its API key already has that many queued.
   */
  enqueue(task: T): EnqueueResult<T> {
    if (this.closed) return { accepted: false };
    const result = this.queue.enqueue(task, queuedPerKeyLimit(this.deps.config(), task.owner));
    // A key over its share is not the queue's full policy at work: no backpressure event for it.
    const rejection = result.accepted ? (result.dropped !== null ? "QUEUE_FULL_DROP_LRU" : null) : result.per_key_limit !== undefined ? "ADMISSION_KEY_LIMIT" : "ADMISSION_REJECT";
    if (rejection !== null && rejection !== "ADMISSION_KEY_LIMIT") this.deps.metrics.backpressureEvents.inc({ policy: this.deps.config().admission_policy });
    if (rejection !== null) this.deps.metrics.tasksRejected.inc({ reason: rejection });
    if (result.accepted) {
      this.fresh.push(task);
      this.noteQueued(task);
    }
    this.updateQueueGauge();
    return result;
  }

  /**
   * Queues a task restored from the journal after a restart (already acknowledged, so capacity does
   * not apply). Until `graceMs` after the restart, a placement that finds no holder keeps waiting:
   * the workers re-register within seconds and bring their models back.
   */
  restore(task: T, graceMs: number): number {
    this.holdForReregistration(graceMs);
    const position = this.queue.append(task);
    this.fresh.push(task);
    this.noteQueued(task);
    this.updateQueueGauge();
    return position;
  }

  /**
   * After a restart the workers re-register within seconds (their next heartbeat gets a 404): until
   * `graceMs` from now, a task whose model no node holds yet waits in the queue instead of failing.
   */
  holdForReregistration(graceMs: number): void {
    const until = this.now() + graceMs;
    if (until <= this.holdUntil) return;
    this.holdUntil = until;
    // One timer however often the hold is extended (each returning node of a fleet extends it).
    if (!this.holdTimerSet) this.armHoldTimer(graceMs);
  }

  /** When the hold ends, a task whose model still has no holder fails (retriable) in the next pass. */
  private armHoldTimer(ms: number): void {
    this.holdTimerSet = true;
    setTimeout(() => {
      const left = this.holdUntil - this.now();
      if (left > 0 && !this.closed) return this.armHoldTimer(left);
      this.holdTimerSet = false;
      if (!this.closed) this.reconsiderAll();
    }, ms + 1).unref();
  }

  /** Whether "no node holds the model" still means "not re-registered yet" (see holdForReregistration). */
  holdsForReregistration(): boolean {
    return this.now() < this.holdUntil;
  }

  /** Undoes an enqueue whose journal write failed, restoring a drop-lru victim. */
  undoEnqueue(task: T, result: EnqueueResult<T>): void {
    this.dequeue(task);
    if (result.accepted && result.dropped !== null) this.requeueFront(result.dropped);
    this.updateQueueGauge();
  }

  /** Removes a queued task or stops a running one (its worker is told to cancel). */
  withdraw(task: T): void {
    if (this.dequeue(task)) {
      this.updateQueueGauge();
    } else {
      const run = this.running.get(task.task_id);
      if (run !== undefined) {
        void this.deps.workers.forNode(run.node_id)?.cancel(task.task_id);
        run.abort.abort();
      }
    }
    this.schedulePump();
  }

  positionOf(taskId: string): number | null {
    const p = this.queue.positionOf(taskId);
    return p >= 0 ? p : null;
  }

  get depth(): number {
    return this.queue.depth;
  }

  depthOf(priority: Priority): number {
    return this.queue.depthOf(priority);
  }

  /** Queued tasks in dispatch order. */
  queued(): T[] {
    return this.queue.items();
  }

  /** Sizes of the scheduler's per-task structures. */
  memoryStats(): Record<string, number> {
    return { queued: this.queue.depth, running: this.running.size, inflight_pools: this.inflight.size, fresh: this.fresh.length };
  }

  runningCount(): number {
    return this.running.size;
  }

  inflightOn(poolId: string): number {
    return this.inflight.get(poolId) ?? 0;
  }

  /**
   * Placement against the current registry without side effects (admission's feasibility check).
   * `ignoreWaits`: busy slots and loading pools count as available, since both only mean waiting in the queue.
   */
  preview(task: T, ignoreWaits: boolean): PlacementDecision {
    const candidates = this.candidates().map((c) => (ignoreWaits ? { ...c, slots_free: Math.max(1, c.slots_total), ready: c.ready || c.loading === true } : c));
    return placeTask(this.placementRequest(task), candidates, this.policy());
  }

  /** Predicted start of a task that just joined the queue at `position` of its lane (its fair place). */
  predictStartMs(task: T, position: number): number {
    return this.predictor.predictTail(task, this.queue.aheadOf(task, position), this.runningTasks(), this.candidates());
  }

  /** Queued tasks per identity (O(identities)): the fair share as it stands. */
  queuedByOwner(): Map<string | null, number> {
    return this.queue.countsByOwner();
  }

  /** A completed task's decode speed, for later predictions. */
  recordThroughput(modelSha: string, tokensOut: number, decodeMs: number): void {
    this.predictor.record(modelSha, tokensOut, decodeMs);
  }

  /**
   * True when a pass now would most likely start `task` at once: it is the only queued task, no pass
   * is running, and a ready pool holding its model has a free slot. The caller may then commit and
   * pump in its own turn (`pumpNow`) instead of waiting for the check phase, which under load runs
   * only after every other ready socket of the loop iteration.
   */
  canStartNow(task: T): boolean {
    if (this.closed || this.pumping || this.queue.depth !== 1 || task.attempted_nodes.length > 0) return false;
    return new ModelCapacity(() => this.candidates()).hasFreeSlot(task.model.sha256);
  }

  /** One placement pass in the caller's turn (the caller has committed what must precede a dispatch). */
  pumpNow(): void {
    try {
      this.pump();
    } catch (err) {
      // The caller's task is committed and queued: a failed pass must not refuse it. Try again next turn.
      this.deps.logger.error({ err }, "placement pass failed; retrying on the next turn");
      this.reconsiderAll();
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

  /**
   * Stops placing: a queued task that `keep` picks leaves the queue without an ending (its journal row
   * stays queued: the next start runs it); the others fail now. Running tasks go on. Called before the
   * process's own worker stops, so its leaving does not fail the queue; a second call finds it empty.
   * Returns how many queued tasks were kept.
   */
  closeQueue(keep: (task: T) => boolean = () => false): number {
    this.closed = true;
    const retryAfter = this.deps.config().retry_after_ms;
    let kept = 0;
    // One clear, not a removal per task: failing 10,000 queued tasks stays linear.
    for (const task of this.queue.clear()) {
      if (keep(task)) {
        kept++;
        continue;
      }
      this.deps.hooks.failed(task, { code: "POOL_UNAVAILABLE", message: "the orchestrator is shutting down", retry_after_ms: retryAfter });
    }
    this.updateQueueGauge();
    return kept;
  }

  /**
   * Stops scheduling. A queued task that `keep` picks leaves the queue without an ending (its journal
   * row stays queued: the next start runs it); the others fail now. Running ones get until the grace
   * period to finish. Returns how many queued tasks were kept.
   */
  async shutdown(graceMs: number, keep: (task: T) => boolean = () => false): Promise<number> {
    const kept = this.closeQueue(keep);
    const deadline = this.now() + graceMs;
    while (this.running.size > 0 && this.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const run of [...this.running.values()]) {
      this.deps.hooks.failed(run.task, { code: "WORKER_RESET", message: "the orchestrator shut down before the task finished" });
      run.abort.abort();
    }
    return kept;
  }

  private candidates(): PlacementCandidate[] {
    const now = this.now();
    return poolCandidates(this.deps.registry, (poolId) => this.inflightOn(poolId), (poolId) => this.ejections.reasonFor(poolId, now));
  }

  /**
   * One placement pass. A pass after an enqueue considers only the new tasks (nothing else changed);
   * a pass after a change of capacity (registry, a freed slot, a re-placement, settings, the periodic
   * tick) considers every queued task, but skips placement for a task whose model has no free slot
   * on any schedulable holder: it would only learn again that it must wait.
   */
  private pump(): void {
    if (this.pumping || this.closed || this.queue.depth === 0) {
      this.fresh = [];
      return;
    }
    this.pumping = true;
    // A walk cut short by an exception leaves the bounds partial: the next pass walks again.
    let partialWalk = false;
    try {
      this.deps.hooks.beforePass?.();
      const full = this.fullPass;
      this.fullPass = false;
      // A full pass walks every queued task (4× a second with a deep queue): it asks the queue whether a
      // task is still there only once something left it, and reads the clock once (the pass is synchronous).
      const now = this.now();
      // One registry snapshot per pump; assignments update it locally so later tasks see the slot taken.
      // Decisions keep the snapshot they were made on (their explanation is computed from it later),
      // so an assignment replaces the array instead of editing it.
      let candidates = this.candidates();
      const capacity = new ModelCapacity(() => candidates);
      const holders = new HoldersByModel(() => candidates);
      // Within one pass a task that cannot be placed (no eligible pool) gets the same answer as every other
      // task with the same model and placement wishes: taking slots never makes a pool eligible. Computing
      // it once per kind, not per task, keeps a fleet-wide blip (every holder Suspect at once, a partition)
      // from costing a full explanation of every pool for each of 10,000 queued tasks (found by the fleet
      // adversary: a 20 s stall that turned every node Offline and failed the queue).
      const unplaceable = new Map<string, PlacementDecision>();
      // Fresh tasks are queued too, so the bounds cover them: a skipped pass skips them as well.
      const skip = this.nothingToDo(now, capacity);
      const tasks = skip ? [] : full ? this.queue.items() : this.freshInQueueOrder();
      const shiftsAtStart = full ? this.queue.shifts : -1;
      this.fresh = [];
      const walk = full && !skip;
      if (walk) {
        // The walk notes every task it leaves queued (and requeues note theirs): the bounds become exact.
        this.queuedModels = new Set();
        this.earliestDeadline = Infinity;
        this.replacedQueued = false;
        partialWalk = true;
      }
      for (const task of tasks) {
        if (this.queue.shifts !== shiftsAtStart && !this.queue.has(task.task_id)) continue;
        if (task.deadline_at_ms < now) {
          this.dequeue(task);
          this.deps.hooks.failed(task, { code: "DEADLINE_UNMET", message: "the deadline passed while the task waited in the queue" });
          continue;
        }
        // With no free slot on any schedulable holder, a task can only wait. A re-placed one waits too while
        // a holder it has not failed on is schedulable; otherwise it gets a decision (REPLICA_EXHAUSTED, or
        // wait for a Suspect one). Before, every re-placed task was placed on its own in every pass, which
        // with no pool eligible explains every pool (sorted, a sentence each): 1,000 streams failed over
        // after a blip on 1,000 nodes made each pass seconds long, the heartbeats waited behind it, more
        // nodes turned Suspect and failed over more streams (found by the fleet-under-load adversary).
        if (capacity.mustWait(task.model.sha256) && (task.attempted_nodes.length === 0 || capacity.holderBesides(task.model.sha256, task.attempted_nodes))) {
          if (walk) this.noteQueued(task);
          continue;
        }
        const kind = task.attempted_nodes.length === 0 ? placementKind(task) : null;
        const decision = (kind === null ? undefined : unplaceable.get(kind)) ?? this.decide(task, candidates, holders);
        if (kind !== null && decision.outcome !== "assigned") unplaceable.set(kind, decision);
        this.recordDecision(decision);
        if (decision.outcome === "assigned") {
          this.dequeue(task);
          this.placementSequence++;
          const at = candidates.findIndex((c) => c.pool_id === decision.pool_id);
          const taken = candidates[at];
          if (taken) {
            candidates = candidates.slice();
            candidates[at] = { ...taken, slots_free: Math.max(0, taken.slots_free - 1) };
            capacity.slotTaken(taken);
            holders.replaced(taken);
          }
          this.start(task, decision);
        } else if (!decision.transient && this.now() >= this.holdUntil) {
          this.dequeue(task);
          const retryAfter = ERROR_CODES[decision.code].retriable ? { retry_after_ms: this.deps.config().retry_after_ms } : {};
          this.deps.hooks.failed(task, { code: decision.code, message: decision.message, ...retryAfter }, decision);
        } else if (walk) {
          this.noteQueued(task);
        }
      }
      partialWalk = false;
      this.updateQueueGauge();
      if (this.queue.positionsChanged()) this.notifyQueuePositions(candidates);
    } finally {
      if (partialWalk) this.replacedQueued = true;
      this.pumping = false;
    }
  }

  /**
   * The placement of one queued task. A rescued task prefers a node that has not failed it, but when
   * the only holders are nodes that did, it waits for one of them to be back (an engine restarts, a
   * Suspect node returns) within its deadline rather than failing at once; its rescue count bounds
   * how often that can happen.
   */
  private decide(task: T, candidates: PlacementCandidate[], holders: HoldersByModel): PlacementDecision {
    const decision = placeTask(this.placementRequest(task), candidates, this.policy(), holders.of(task.model.sha256));
    if (!this.rescuedAt.has(task) || decision.outcome === "assigned" || decision.transient || decision.code !== "REPLICA_EXHAUSTED") return decision;
    const again = placeTask({ ...this.placementRequest(task), exclude_nodes: [] }, candidates, this.policy(), holders.of(task.model.sha256));
    // Transient: wait for the node that failed it. Its pools down (POOL_UNAVAILABLE): say so, not "exhausted".
    if (again.outcome !== "assigned") return again.transient || again.code === "POOL_UNAVAILABLE" ? again : decision;
    // Right after the failure the registry may not know yet that the engine is restarting (its pool
    // still looks ready): wait one heartbeat interval for the node's next report before going back.
    const failedAt = this.rescuedAt.get(task) ?? 0;
    if (this.now() - failedAt < this.deps.config().heartbeat_interval_ms) return { ...decision, transient: true, message: "waiting for the only node holding the model, which failed this attempt, to report again" };
    return again;
  }

  private start(task: T, decision: AssignedDecision): void {
    const client = this.deps.workers.forNode(decision.node_id);
    if (client === undefined) {
      this.requeueFront(task);
      return;
    }
    // The closures below (alive as long as the stream) use these, never `decision`: it holds its pump's
    // registry snapshot (one object per pool) until its explanation is read, and the task table lets go of
    // it after the newest placements; a closure over it pinned ~156 KB per running task at 1,000 nodes.
    const { node_id: nodeId, pool_id: poolId } = decision;
    task.attempted_nodes.push(nodeId);
    this.inflight.set(poolId, this.inflightOn(poolId) + 1);
    const run: RunningTask<T> = { task, node_id: nodeId, pool_id: poolId, abort: new AbortController(), progressed: false };
    this.running.set(task.task_id, run);
    const traceparent = this.deps.hooks.placed(task, decision);
    const hooks = this.deps.hooks;
    // A failure of this stream counts against the node only if it has not come back Online since.
    const openedInEpoch = this.deps.registry.onlineEpoch(nodeId);
    const target = { client, node_id: nodeId, pool_id: poolId, idle_ms: this.deps.config().worker_stream_idle_ms, first_token_ms: this.deps.config().worker_first_token_timeout_ms, traceparent, onConnectionLost: (message: string) => this.connectionLost(nodeId, message, openedInEpoch) };
    // The worker's `end` settles the task in the turn its frame arrived, so the client's answer leaves
    // before the promise chain (and node's stream bookkeeping queued ahead of it) runs; the chain then
    // finds the task terminal. A throw there is ours (a renderer): logged, the stream is not at fault.
    const ended = (data: SseEndData) => {
      try {
        this.settle(run, { kind: "end", data });
      } catch (err) {
        this.deps.logger.error({ task_id: task.task_id, err }, "ending a task failed");
      }
    };
    void streamFromWorker(target, { task_id: task.task_id, ...task.generation }, run.abort.signal, { progress: (event) => this.progress(run, event), closed: () => hooks.isTerminal(task), ended })
      .then((outcome) => this.settle(run, outcome))
      .finally(() => {
        this.running.delete(task.task_id);
        this.inflight.set(poolId, Math.max(0, this.inflightOn(poolId) - 1));
        this.reconsiderAll();
      });
  }

  /** A task stream to the node broke: the node turns Suspect unless its live watch says the break was that stream's alone. */
  private connectionLost(nodeId: string, message: string, openedInEpoch: number): void {
    if (!this.deps.registry.taskStreamLost(nodeId, message, openedInEpoch)) {
      this.deps.logger.warn({ node_id: nodeId, why: message }, "a task stream broke but the node's watch is live: the node stays schedulable");
    }
  }

  /** A worker event before the terminal one: the first token (or answer) clears the pool's failure count. */
  private progress(run: RunningTask<T>, event: WorkerProgressEvent): void {
    if (!run.progressed && event.event !== "started" && event.event !== "metrics") {
      run.progressed = true;
      this.ejections.succeeded(run.pool_id);
    }
    this.deps.hooks.progress(run.task, event);
  }

  /**
   * The attempt failed before its first token, the node's doing (the failures that re-place a task): one
   * more failure in a row for the pool, which may eject it from placement for a while.
   */
  private poolFailed(run: RunningTask<T>, why: string): void {
    const ejection = this.ejections.failed(run.pool_id);
    if (ejection === null) return;
    this.deps.metrics.poolEjections.inc({ pool_id: run.pool_id });
    const seconds = Math.round(ejection.duration_ms / 100) / 10;
    this.deps.logger.warn({ node_id: run.node_id, pool_id: run.pool_id, ejected_ms: ejection.duration_ms, ejections: ejection.ejections, last_failure: why }, `pool ${run.pool_id} ejected from placement for ${seconds} s: ${ejection.reason}`);
    this.deps.registry.recordPoolEvent(run.pool_id, `ejected from placement for ${seconds} s (${ejection.reason}; last: ${why})`);
    // Its queued tasks may now go elsewhere, and when it comes back a pass must see it.
    setTimeout(() => this.reconsiderAll(), ejection.duration_ms + 1).unref();
    this.reconsiderAll();
  }

  /** One attempt ended: the task ends, or goes back to the head of the queue for another node. */
  private settle(run: RunningTask<T>, outcome: WorkerStreamOutcome): void {
    const { task } = run;
    if (outcome.kind === "end") this.ejections.succeeded(run.pool_id);
    // A busy refusal (429, REPLICA_EXHAUSTED) is re-placed too, but says the pool is full, not unhealthy.
    else if (outcome.kind === "error" && outcome.replaceable && outcome.busy !== true && !run.progressed && !task.cancel_requested && !this.closed) this.poolFailed(run, `${outcome.code}: ${outcome.message}`);
    if (outcome.kind === "closed" || this.deps.hooks.isTerminal(task)) return;
    if (outcome.kind === "end") {
      this.deps.hooks.ended(task, outcome.data);
      return;
    }
    if (!this.closed && shouldReplace(outcome, { attempts: task.attempted_nodes.length, tokens_out: task.tokens_out, canceled: task.cancel_requested })) {
      const why = `${outcome.code}: ${outcome.message}`;
      this.deps.metrics.taskRetries.inc();
      this.deps.logger.warn({ task_id: task.task_id, node_id: run.node_id, why }, "dispatch failed before the first token; re-placing");
      // The pool was restarting (dispatched in the moment between its engine's death and the heartbeat
      // saying so: slots free exactly then) or its engine died before the first token: when it is the only
      // holder, wait for it to come back as a rescued task does, instead of REPLICA_EXHAUSTED at once.
      if (outcome.kind === "error" && (outcome.code === "POOL_UNREADY" || outcome.code === "ENGINE_CRASHED")) this.rescuedAt.set(task, this.now());
      this.requeueFront(task);
      this.deps.hooks.replacing(task, why);
      return;
    }
    const retractable = this.deps.hooks.outputRetractable(task);
    if (!this.closed && shouldRescue(outcome, { canceled: task.cancel_requested, rescues: task.rescues, max_rescues: this.deps.config().rescue_attempts, retractable })) {
      const why = `${outcome.code} on ${run.node_id}: ${outcome.message}`;
      this.deps.metrics.tasksRescued.inc();
      this.deps.logger.warn({ task_id: task.task_id, node_id: run.node_id, why, tokens_discarded: task.tokens_out, rescue: task.rescues + 1 }, "attempt failed before any token reached a client; discarding its output and placing the task again");
      this.rescuedAt.set(task, this.now());
      this.requeueFront(task);
      this.deps.hooks.rescuing(task, why);
      return;
    }
    const why = outcome.kind === "error" && outcome.replaceable ? whyNotRescued(task, retractable, this.deps.config().rescue_attempts, this.closed) : null;
    const message = why === null ? outcome.message : `${outcome.message} (${why})`;
    this.deps.hooks.failed(task, { code: outcome.code, message, ...(outcome.retry_after_ms !== undefined ? { retry_after_ms: outcome.retry_after_ms } : {}) });
  }

  /**
   * The tasks enqueued since the last pass, in dispatch order: several arriving in one turn from different
   * keys take free slots in their fair order, not their arrival order (one identity: the same thing).
   */
  private freshInQueueOrder(): T[] {
    if (this.fresh.length < 2 || this.queue.identities < 2) return this.fresh;
    const at = new Map(this.fresh.map((t) => [t, this.queue.overallPositionOf(t.task_id)]));
    return this.fresh.slice().sort((a, b) => (at.get(a) ?? -1) - (at.get(b) ?? -1));
  }

  private dequeue(task: T): boolean {
    return this.queue.remove(task);
  }

  private requeueFront(task: T): void {
    this.queue.requeueFront(task);
    this.noteQueued(task);
    this.fullPass = true;
  }

  private noteQueued(task: T): void {
    this.queuedModels.add(task.model.sha256);
    if (task.deadline_at_ms < this.earliestDeadline) this.earliestDeadline = task.deadline_at_ms;
    if (task.attempted_nodes.length > 0) this.replacedQueued = true;
  }

  /**
   * True when a pass could only learn again that every queued task must wait: no deadline is due,
   * no task is a re-placement (those always get a decision), and every queued model has a schedulable
   * holder with no free slot. A deep queue then costs nothing per pass instead of a walk over every task.
   */
  private nothingToDo(now: number, capacity: ModelCapacity): boolean {
    if (this.replacedQueued || now > this.earliestDeadline) return false;
    for (const sha of this.queuedModels) if (!capacity.mustWait(sha)) return false;
    return true;
  }

  private onNodeLost(nodeId: string, reason: string): void {
    for (const run of this.running.values()) {
      if (run.node_id === nodeId) {
        this.deps.logger.warn({ task_id: run.task.task_id, node_id: nodeId, reason }, "node lost while serving a task");
        run.abort.abort(new Error(reason));
      }
    }
    this.schedulePump();
  }

  private runningTasks(): T[] {
    return [...this.running.values()].map((r) => r.task);
  }

  /** Fields listed, not spread: one hidden class for every request (the spread was 2.7 % of the admission profile). */
  private placementRequest(task: T): PlacementRequest {
    const p = task.placement;
    return {
      mode: p.mode,
      pin_pool_id: p.pin_pool_id,
      pin_node_id: p.pin_node_id,
      prefer_pools: p.prefer_pools,
      avoid_pools: p.avoid_pools,
      avoid_nodes: p.avoid_nodes,
      require_device_mask: p.require_device_mask,
      allow_fallback: p.allow_fallback,
      model_sha256: task.model.sha256,
      model_size_bytes: task.model.size_bytes,
      session_pool_id: this.deps.sessions.affinity(task.owner, task.session_id),
      exclude_nodes: task.attempted_nodes,
    };
  }

  private policy() {
    const cfg = this.deps.config();
    return { strategy: cfg.placement_strategy, sequence: this.placementSequence, seed: cfg.placement_seed };
  }

  private recordDecision(decision: PlacementDecision): void {
    this.deps.metrics.placementCandidates.set(decision.summary.considered); // not .candidates: that computes the explanation
    this.deps.metrics.placementDecisions.inc({
      outcome: decision.outcome,
      pinned: String(decision.pinned),
      fallback: String(decision.outcome === "assigned" && decision.fallback_used),
    });
  }

  private updateQueueGauge(): void {
    this.deps.metrics.queueDepth.set({ priority: "interactive" }, this.queue.depthOf("interactive"));
    this.deps.metrics.queueDepth.set({ priority: "batch" }, this.queue.depthOf("batch"));
    this.deps.metrics.queueIdentities.set(this.queue.identities);
  }

  /**
   * Queued tasks learn their new position when it changes (a `metrics` event with queue_position and
   * predicted_start_ms); predictions for the whole queue are computed in one pass.
   */
  private notifyQueuePositions(candidates: PlacementCandidate[]): void {
    const due = this.queue.positionsToTell(this.now());
    if (due.length === 0) return;
    // Predictions need only the tasks up to the last one told (in dispatch order): often the front of the line.
    const last = due[due.length - 1]?.index ?? 0;
    const predictions = this.predictor.predictQueue(last + 1 >= this.queue.depth ? this.queue.items() : this.queue.itemsUpTo(last + 1), this.runningTasks(), candidates);
    for (const { task, index, position } of due) this.deps.hooks.waiting(task, position, predictions[index] ?? 0, this.queue.depth);
  }
}

/** What a placement's eligibility depends on besides the snapshot: the model and the task's placement wishes. */
function placementKind(task: SchedulableTask): string {
  return `${task.model.sha256}|${JSON.stringify(task.placement)}`;
}

/**
 * The end of a node failure's message when the task had output or rescues: why the orchestrator did
 * not start it over (null: a plain failure before any token, after its one re-placement).
 */
function whyNotRescued(task: SchedulableTask, retractable: boolean, maxRescues: number, closed: boolean): string | null {
  if (task.tokens_out > 0 && !retractable) return `after ${task.tokens_out} tokens had reached the client, which cannot be taken back; retry the request`;
  if (closed) return task.tokens_out > 0 ? "the orchestrator is shutting down" : null;
  if (task.rescues > 0) return `after ${task.rescues} rescue attempt${task.rescues === 1 ? "" : "s"} (rescue_attempts = ${maxRescues})`;
  return task.tokens_out > 0 && maxRescues === 0 ? "rescues are off (rescue_attempts = 0)" : null;
}

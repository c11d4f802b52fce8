import { EventEmitter } from "node:events";
import type { PoolDefinition, SupervisorConfig } from "../../src-shared/config/worker-config.js";
import { ERROR_CODES, type ErrorCode } from "../../src-shared/errors/error-codes.js";
import { pickGeneration } from "../../src-shared/tasks/generation.js";
import type { PoolSnapshot } from "../../src-shared/nodes/pool-snapshot.js";
import type { PoolState, PoolStatus } from "../../src-shared/worker-api/pool-status.js";
import type { CatalogModel } from "../catalog/model-catalog.js";
import type { EngineDoneMessage, EngineLoadedMessage, EngineToParentMessage } from "../engine/engine-ipc.js";
import { describeExit, EngineProcess, type EngineExit } from "../engine/engine-process.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import { RestartPolicy, systemClock, type Clock } from "./restart-policy.js";
import type { Admission, InferTask, PoolDiagnostics, ServingPool } from "./serving-pool.js";
import { SlotGate, type SlotLease } from "./slot-gate.js";

export interface LlamaPoolOptions {
  definition: PoolDefinition;
  /** Resolves the definition's model reference against the local catalog. */
  resolveModel: (ref: string) => CatalogModel | undefined;
  threads: number;
  slotWaitMs: number;
  slotQueueLimit: number;
  supervisor: SupervisorConfig;
  metrics: WorkerMetrics;
  log: Logger;
  clock?: Clock;
  /** "config" for configured pools, "auto" for pools derived from the models dir. */
  source: "config" | "auto";
}

type LoadOutcome = { ok: true } | { ok: false; code: ErrorCode; message: string };

interface InFlight {
  task: InferTask;
  lease: SlotLease;
  startedAt: number;
  canceled: boolean;
  finish: () => void;
}

const ENGINE = "llamacpp";

function errorEvent(code: ErrorCode, message: string): { code: ErrorCode; message: string; retriable: boolean; engine: string } {
  return { code, message, retriable: ERROR_CODES[code].retriable, engine: ENGINE };
}

/**
 * A pool = one model on one device with N slots, served by a supervised engine child. The child
 * crashing (or aborting inside llama.cpp) makes the pool unready, fails its in-flight tasks with
 * ENGINE_CRASHED at once and restarts it with backoff; the RestartPolicy's breaker stops storms.
 */
export class LlamaPool extends EventEmitter<{ changed: [] }> implements ServingPool {
  readonly id: string;
  private definition: PoolDefinition;
  private model: CatalogModel | undefined;
  private engine: EngineProcess | undefined;
  private loaded: EngineLoadedMessage | undefined;
  private state: PoolState = "stopped";
  private lastError: string | null = null;
  private lastExit: string | null = null;
  private restarts = 0;
  private generation = 0;
  private purpose: "serve" | "reload_trial" = "serve";
  private pendingLoad: { generation: number; resolve: (outcome: LoadOutcome) => void } | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private reloading = false;
  private stopped = false;
  private vramFree = 0;
  private tokensPerSecond: number | undefined;
  private readonly gate: SlotGate;
  private readonly inflight = new Map<string, InFlight>();
  private readonly idleSignal = new EventEmitter<{ idle: [] }>();
  private readonly policy: RestartPolicy;
  private readonly log: Logger;

  constructor(private readonly options: LlamaPoolOptions) {
    super();
    this.id = options.definition.id;
    this.definition = options.definition;
    this.gate = new SlotGate(options.definition.slots, options.slotQueueLimit);
    this.policy = new RestartPolicy(options.supervisor, options.clock ?? systemClock);
    this.log = options.log.child({ pool_id: this.id });
  }

  get modelRef(): string {
    return this.definition.model;
  }

  get currentModel(): CatalogModel | undefined {
    return this.model;
  }

  get isReloading(): boolean {
    return this.reloading;
  }

  /** Resolves the model and starts the engine; does not wait for it to load. */
  start(): void {
    this.stopped = false;
    const model = this.options.resolveModel(this.definition.model);
    if (model === undefined) {
      this.setState("failed", `model "${this.definition.model}" not found in the models dir`);
      return;
    }
    this.model = model;
    void this.spawn(model);
  }

  /** The catalog changed: a pool that failed because its model was missing may start now. */
  retryIfModelAppeared(): void {
    if (this.state === "failed" && this.model === undefined && !this.stopped) this.start();
  }

  admit(): Admission {
    if (this.state !== "ready" || this.engine === undefined) {
      return { ok: false, code: "POOL_UNREADY", message: `pool ${this.id} is ${this.state}${this.lastError !== null ? `: ${this.lastError}` : ""}`, retryAfterMs: 1000 };
    }
    if (this.gate.free === 0 && this.gate.waiting >= this.options.slotQueueLimit) {
      return { ok: false, code: "REPLICA_EXHAUSTED", message: `pool ${this.id}: all ${this.gate.total} slots busy and ${this.gate.waiting} tasks waiting`, retryAfterMs: 500 };
    }
    return { ok: true };
  }

  status(): PoolStatus {
    const ready = this.state === "ready";
    return {
      pool_id: this.id,
      live: this.engine?.alive ?? false,
      ready,
      draining: this.state === "draining",
      state: this.state,
      slots_total: this.gate.total,
      slots_free: ready ? this.gate.free : 0,
      engine: ENGINE,
      engine_version: this.loaded?.engine_version ?? "",
      device_mask: this.deviceMask(),
      vram_free_bytes: this.vramFree,
      model: this.model?.inventory !== undefined ? { sha256: this.model.sha256, name: this.model.inventory.name } : this.model !== undefined ? { sha256: this.model.sha256, name: this.model.file_name } : null,
      last_error: this.lastError,
      restarts: this.restarts,
    };
  }

  snapshot(): PoolSnapshot {
    const status = this.status();
    const snapshot: PoolSnapshot = {
      pool_id: this.id,
      ready: status.ready,
      draining: status.draining,
      slots_free: status.slots_free,
      slots_total: status.slots_total,
      vram_free_bytes: status.vram_free_bytes,
      engine: ENGINE,
      device_mask: status.device_mask,
      // Only the loaded model is servable without a reload; the node's full inventory goes separately.
      models_available: status.model !== null ? [status.model.sha256] : [],
      last_error: status.last_error,
    };
    if (status.engine_version !== "") snapshot.engine_version = status.engine_version;
    if (status.model !== null) snapshot.model = status.model;
    if (this.tokensPerSecond !== undefined) snapshot.tokens_per_second = Math.round(this.tokensPerSecond * 10) / 10;
    return snapshot;
  }

  diagnostics(): PoolDiagnostics {
    return {
      pool_id: this.id,
      kind: "llama",
      state: this.state,
      engine_pid: this.engine?.pid ?? null,
      circuit: this.policy.state,
      consecutive_failures: this.policy.failures,
      restarts: this.restarts,
      slots_busy: this.gate.busy,
      slots_waiting: this.gate.waiting,
      model_path: this.model?.path ?? null,
      last_exit: this.lastExit,
      source: this.options.source,
    };
  }

  async run(task: InferTask): Promise<void> {
    const { sink, signal } = task;
    const startedAt = performance.now();
    sink.started({
      queue_position: this.gate.free > 0 && this.gate.waiting === 0 ? 0 : this.gate.waiting + 1,
      predicted_start_ms: 0,
      task_id: task.taskId,
      pool_id: this.id,
      ...(this.model !== undefined ? { model: this.model.sha256 } : {}),
      engine: ENGINE,
      ...(this.loaded !== undefined ? { engine_version: this.loaded.engine_version } : {}),
    });
    const acquired = await this.gate.acquire(signal, this.options.slotWaitMs);
    this.options.metrics.slotWaitMs.observe({ pool_id: this.id }, performance.now() - startedAt);
    if (!acquired.ok) {
      if (acquired.reason === "aborted") {
        sink.end({ decode_ms: 0, decode_time_ms: 0, canceled: true, stop_reason: "canceled" });
        this.countOutcome("canceled");
      } else if (acquired.reason === "closed") {
        sink.error(errorEvent(acquired.detail?.includes("crash") === true ? "ENGINE_CRASHED" : "POOL_UNREADY", acquired.detail ?? "pool closed"));
        this.countOutcome("error");
      } else {
        sink.error({ ...errorEvent("REPLICA_EXHAUSTED", `no free slot within ${this.options.slotWaitMs} ms`), retry_after_ms: 500 });
        this.countOutcome("error");
      }
      return;
    }
    const engine = this.engine;
    if (this.state !== "ready" || engine === undefined) {
      acquired.lease.release();
      sink.error(errorEvent("POOL_UNREADY", `pool ${this.id} is ${this.state}`));
      this.countOutcome("error");
      return;
    }
    await new Promise<void>((finish) => {
      const entry: InFlight = { task, lease: acquired.lease, startedAt, canceled: false, finish };
      this.inflight.set(task.taskId, entry);
      const onAbort = (): void => this.cancelInFlight(entry);
      signal.addEventListener("abort", onAbort, { once: true });
      const sent = engine.send({
        type: "infer",
        task_id: task.taskId,
        ...pickGeneration(task.request),
      });
      if (!sent) this.finishInFlight(entry, () => sink.error(errorEvent("ENGINE_CRASHED", "engine is not reachable")), "error");
      else if (signal.aborted) onAbort();
    });
  }

  drain(deadlineMs: number): Promise<void> {
    this.draining ??= this.drainNow(deadlineMs).finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Drain → load another model → ready; on failure roll back to the previous model. */
  async reload(target: CatalogModel, drainDeadlineMs: number): Promise<void> {
    if (this.reloading) throw new Error("reload already in progress");
    this.reloading = true;
    const previous = this.model;
    try {
      await this.drain(drainDeadlineMs);
      this.policy.reset();
      this.stopped = false;
      this.purpose = "reload_trial";
      this.model = target;
      this.definition = { ...this.definition, model: target.file_name };
      const outcome = await this.spawn(target);
      this.purpose = "serve";
      if (outcome.ok) {
        this.log.info({ model: target.file_name, sha256: target.sha256 }, "pool reloaded");
        return;
      }
      await this.stopEngine();
      const message = `reload to ${target.file_name} failed (${outcome.code}: ${outcome.message})`;
      if (previous === undefined) {
        this.setState("failed", message);
        return;
      }
      this.log.warn({ model: target.file_name, error: outcome.message }, "reload failed; rolling back");
      this.model = previous;
      this.definition = { ...this.definition, model: previous.file_name };
      const rollback = await this.spawn(previous);
      // Keep the reload failure visible even though the old model serves again.
      if (rollback.ok) this.lastError = `${message}; rolled back to ${previous.file_name}`;
      this.emit("changed");
    } finally {
      this.purpose = "serve";
      this.reloading = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearRestartTimer();
    this.gate.failWaiters("closed", "pool stopped");
    for (const entry of [...this.inflight.values()]) {
      this.finishInFlight(entry, () => entry.task.sink.error(errorEvent("WORKER_RESET", "pool stopped")), "error");
    }
    await this.stopEngine();
    this.setState("stopped", this.lastError);
  }

  private async drainNow(deadlineMs: number): Promise<void> {
    this.clearRestartTimer();
    this.stopped = true;
    this.setState("draining", this.lastError);
    this.gate.failWaiters("closed", `pool ${this.id} is draining`);
    if (this.inflight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        const check = (): void => {
          if (this.inflight.size === 0) {
            clearTimeout(timer);
            this.idleSignal.off("idle", check);
            resolve();
          }
        };
        this.idleSignal.on("idle", check);
        check();
      });
      for (const entry of [...this.inflight.values()]) {
        this.engine?.send({ type: "abort", task_id: entry.task.taskId });
        this.finishInFlight(entry, () => entry.task.sink.error(errorEvent("WORKER_RESET", `pool ${this.id} drained: deadline of ${deadlineMs} ms reached`)), "error");
      }
    }
    await this.stopEngine();
    this.setState("stopped", this.lastError);
  }

  private spawn(model: CatalogModel): Promise<LoadOutcome> {
    this.clearRestartTimer();
    const generation = ++this.generation;
    this.loaded = undefined;
    this.setState("loading", this.purpose === "reload_trial" ? null : this.lastError);
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (typeof this.definition.device === "number") {
      // node-llama-cpp picks its device itself; restrict what it can see to the chosen GPU.
      env.CUDA_VISIBLE_DEVICES = String(this.definition.device);
      env.GGML_VK_VISIBLE_DEVICES = String(this.definition.device);
    }
    const engine = new EngineProcess(env);
    this.engine = engine;
    engine.on("message", (message) => this.onEngineMessage(generation, message));
    engine.on("exit", (exit) => this.onEngineExit(generation, exit));
    engine.on("protocol_error", (message) => {
      this.log.error({ error: message }, "engine sent an invalid IPC message; killing it");
      engine.kill("SIGKILL");
    });
    this.log.info({ engine_pid: engine.pid, model: model.file_name, sha256: model.sha256, slots: this.definition.slots }, "engine starting");
    const outcome = new Promise<LoadOutcome>((resolve) => {
      this.pendingLoad = { generation, resolve };
    });
    engine.send({
      type: "load",
      model_path: model.path,
      slots: this.definition.slots,
      threads: this.options.threads,
      device: this.definition.device,
      ...(this.definition.context_size !== undefined ? { context_size: this.definition.context_size } : {}),
      ...(this.definition.memory_limit_bytes !== undefined ? { memory_limit_bytes: this.definition.memory_limit_bytes } : {}),
    });
    return outcome;
  }

  private settleLoad(generation: number, outcome: LoadOutcome): void {
    if (this.pendingLoad?.generation !== generation) return;
    const { resolve } = this.pendingLoad;
    this.pendingLoad = undefined;
    resolve(outcome);
  }

  private onEngineMessage(generation: number, message: EngineToParentMessage): void {
    if (generation !== this.generation) return;
    switch (message.type) {
      case "loaded":
        this.loaded = message;
        this.vramFree = message.vram_free_bytes;
        this.gate.resize(message.slots);
        this.policy.recordReady();
        this.lastError = null;
        this.log.info({ engine_pid: this.engine?.pid, load_ms: message.load_ms, backend: message.backend, context_size: message.context_size, estimated_bytes: message.estimated_bytes }, "engine ready");
        this.setState("ready", null);
        this.settleLoad(generation, { ok: true });
        return;
      case "load_failed": {
        this.log.error({ code: message.code, error: message.message }, "engine failed to load the model");
        this.settleLoad(generation, { ok: false, code: message.code, message: message.message });
        // This engine is done either way; ignore its exit.
        this.generation++;
        const engine = this.engine;
        this.engine = undefined;
        void engine?.stop(1000);
        if (this.purpose === "reload_trial") return;
        if (message.code === "MODEL_TOO_LARGE") this.setState("failed", `${message.code}: ${message.message}`);
        else this.onFailure("load_failed", `${message.code}: ${message.message}`);
        return;
      }
      case "stats":
        this.vramFree = message.vram_free_bytes;
        return;
      case "token": {
        const entry = this.inflight.get(message.task_id);
        this.options.metrics.tokensGenerated.inc({ pool_id: this.id });
        if (entry === undefined || entry.canceled || entry.task.sink.finished) return;
        entry.task.sink.token(message.t);
        this.options.metrics.tokensOut.inc({ pool_id: this.id });
        return;
      }
      case "done": {
        const entry = this.inflight.get(message.task_id);
        if (entry === undefined) return;
        this.recordThroughput(message);
        this.finishInFlight(
          entry,
          () => {
            const sink = entry.task.sink;
            if (message.decode_ms > 0) sink.metrics({ tokens_out: sink.tokensWritten, tokens_per_second: Math.round((sink.tokensWritten / message.decode_ms) * 10000) / 10 });
            sink.end({
              decode_ms: message.decode_ms,
              decode_time_ms: message.decode_ms,
              stop_reason: message.stop_reason,
              tokens_in: message.tokens_in,
              ...(message.first_token_ms !== undefined ? { first_token_ms: message.first_token_ms } : {}),
              ...(message.stop_reason === "canceled" ? { canceled: true } : {}),
            });
          },
          message.stop_reason === "canceled" ? "canceled" : "ok",
        );
        if (message.first_token_ms !== undefined) this.options.metrics.firstTokenMs.observe({ pool_id: this.id }, message.first_token_ms);
        this.options.metrics.decodeMs.observe({ pool_id: this.id }, message.decode_ms);
        return;
      }
      case "task_failed": {
        const entry = this.inflight.get(message.task_id);
        if (entry !== undefined) this.finishInFlight(entry, () => entry.task.sink.error(errorEvent(message.code, message.message)), "error");
        return;
      }
    }
  }

  private onEngineExit(generation: number, exit: EngineExit): void {
    if (generation !== this.generation) return;
    this.engine = undefined;
    this.loaded = undefined;
    this.lastExit = describeExit(exit);
    const reason = `engine ${this.lastExit}`;
    this.settleLoad(generation, { ok: false, code: "ENGINE_CRASHED", message: reason });
    this.gate.failWaiters("closed", `engine crashed (${reason})`);
    for (const entry of [...this.inflight.values()]) {
      this.finishInFlight(entry, () => entry.task.sink.error(errorEvent("ENGINE_CRASHED", reason)), "error");
    }
    if (this.stopped || this.purpose === "reload_trial") return;
    this.log.error({ exit_code: exit.code, signal: exit.signal }, "engine crashed");
    this.onFailure("crash", reason);
  }

  private onFailure(reason: "crash" | "load_failed", message: string): void {
    this.options.metrics.engineRestarts.inc({ pool_id: this.id, reason });
    const model = this.model;
    if (model === undefined || this.stopped) return;
    const decision = this.policy.recordFailure();
    if (decision.kind === "restart") {
      this.restarts++;
      this.log.warn({ delay_ms: decision.delayMs, consecutive_failures: decision.consecutiveFailures, reason: message }, "engine restart scheduled");
      this.setState("backoff", message);
      this.restartTimer = setTimeout(() => void this.spawn(model), decision.delayMs);
    } else {
      const waitMs = Math.max(0, decision.retryAtMs - Date.now());
      this.log.error({ reason: decision.reason, retry_in_ms: waitMs }, "engine circuit breaker open");
      this.setState("circuit_open", `${message} (circuit open: ${decision.reason})`);
      this.restartTimer = setTimeout(() => {
        if (this.policy.beginTrial()) {
          this.restarts++;
          void this.spawn(model);
        }
      }, waitMs);
    }
  }

  private cancelInFlight(entry: InFlight): void {
    if (entry.canceled || entry.task.sink.finished) return;
    entry.canceled = true;
    // The engine stops at its next token; the slot frees when it confirms (done) or dies.
    this.engine?.send({ type: "abort", task_id: entry.task.taskId });
    entry.task.sink.end({ decode_ms: 0, decode_time_ms: 0, canceled: true, stop_reason: "canceled" });
    this.countOutcome("canceled");
    this.log.info({ task_id: entry.task.taskId, tokens_out: entry.task.sink.tokensWritten }, "task canceled");
  }

  private finishInFlight(entry: InFlight, writeTerminal: () => void, outcome: "ok" | "canceled" | "error"): void {
    if (!this.inflight.has(entry.task.taskId)) return;
    this.inflight.delete(entry.task.taskId);
    if (!entry.task.sink.finished) {
      writeTerminal();
      this.countOutcome(outcome);
    }
    this.options.metrics.inferDurationMs.observe({ pool_id: this.id }, performance.now() - entry.startedAt);
    entry.lease.release();
    entry.finish();
    if (this.inflight.size === 0) this.idleSignal.emit("idle");
  }

  private countOutcome(outcome: "ok" | "canceled" | "error"): void {
    this.options.metrics.inferRequests.inc({ pool_id: this.id, outcome });
  }

  private recordThroughput(done: EngineDoneMessage): void {
    if (done.decode_ms <= 0 || done.tokens_out < 2) return;
    const tps = (done.tokens_out / done.decode_ms) * 1000;
    this.tokensPerSecond = this.tokensPerSecond === undefined ? tps : this.tokensPerSecond * 0.7 + tps * 0.3;
  }

  private async stopEngine(): Promise<void> {
    const engine = this.engine;
    this.generation++; // its exit is intentional
    this.engine = undefined;
    this.loaded = undefined;
    this.settleLoad(this.generation - 1, { ok: false, code: "POOL_UNREADY", message: "engine stopped" });
    if (engine !== undefined) await engine.stop();
  }

  private clearRestartTimer(): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private deviceMask(): string {
    if (this.definition.device === "cpu" || this.loaded?.backend === "cpu") return "cpu";
    if (typeof this.definition.device === "number") return String(this.definition.device);
    return this.loaded === undefined ? "auto" : "all";
  }

  private setState(state: PoolState, lastError: string | null): void {
    const changed = state !== this.state || lastError !== this.lastError;
    this.state = state;
    this.lastError = lastError;
    if (changed) this.emit("changed");
  }
}

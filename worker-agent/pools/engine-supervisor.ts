import type { EventEmitter } from "node:events";
import type { PoolDefinition, PoolDevice, SupervisorConfig } from "../../src-shared/config/worker-config.js";
import type { ErrorCode } from "../../src-shared/errors/error-codes.js";
import type { CatalogModel } from "../catalog/model-catalog.js";
import type { EngineLoadedMessage, EngineToParentMessage, ParentToEngineMessage } from "../engine/engine-ipc.js";
import type { EngineCpuPinner, PinnedEngine } from "../engine/engine-cpu-pinning.js";
import { describeExit, EngineProcess, type EngineExit } from "../engine/engine-process.js";
import type { AddonChoice } from "../engine/native-addon/addon-choice.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import type { PoolLifecycle, PoolPhase } from "./pool-lifecycle.js";
import { EngineWatchdog } from "./engine-watchdog.js";
import { RestartPolicy, type Clock } from "./restart-policy.js";

/** A loading engine counts as hung after this many times engine_unresponsive_ms of silence. */
export const LOADING_LIMIT_FACTOR = 4;

/** The parent-side engine child as the supervisor uses it (a fake in unit tests). */
export interface EngineHandle extends EventEmitter<{ message: [EngineToParentMessage]; exit: [EngineExit]; protocol_error: [string] }> {
  readonly pid: number | undefined;
  readonly alive: boolean;
  /**
   * The engine answers pings while it loads (a node-llama-cpp child: its load runs off its event loop), so
   * the watchdog covers the load too. llama-server does not (no /health until loaded; its own load timeout).
   */
  readonly answersPingsWhileLoading?: boolean;
  /** True when written or queued for the child (backpressure is not a failure); false only when it cannot be reached. */
  send(message: ParentToEngineMessage): boolean;
  kill(signal?: NodeJS.Signals): void;
  stop(graceMs?: number): Promise<unknown>;
}

export type LoadPhase = Extract<PoolPhase, "loading" | "reload_loading" | "rollback_loading">;

export type LoadOutcome = { ok: true } | { ok: false; cause: "crash" | "load_failed" | "stopped"; code: ErrorCode; message: string };

export interface SupervisorOptions {
  poolId: string;
  definition: PoolDefinition;
  threads: number;
  supervisor: SupervisorConfig;
  clock: Clock;
  metrics: WorkerMetrics;
  log: Logger;
  lifecycle: PoolLifecycle;
  spawnEngine?: (env: NodeJS.ProcessEnv) => EngineHandle;
  /** Which llama.cpp build a node-llama-cpp engine loads for a device (addon-choice.ts); unset: the prebuilt. */
  chooseAddon?: (device: PoolDevice) => AddonChoice;
  /**
   * The agent's CPU pinning (engine-cpu-pinning.ts): a new engine gets all the agent's CPUs back, and a
   * loaded one-thread node-llama-cpp engine on CPU is pinned to one of them. Unset: nothing is pinned.
   */
  cpuPinning?: { pinner: EngineCpuPinner; pinsOneThreadEngines: boolean };
  /** The engine loaded a model: the serving side sizes its slots. */
  onLoaded: (loaded: EngineLoadedMessage) => void;
  /** token / done / task_failed for the serving side. */
  onTaskMessage: (message: EngineToParentMessage) => void;
  /** The engine died on its own: the serving side fails its work with ENGINE_CRASHED. */
  onEngineGone: (reason: string) => void;
}

/**
 * Engine process lifecycle: starts the engine child for a model, tells the lifecycle when it is
 * ready, restarts it with backoff after a crash or load failure (RestartPolicy, with its circuit
 * breaker), and stops it. Events of an engine that is no longer the current one are ignored.
 */
export class EngineSupervisor {
  readonly policy: RestartPolicy;
  private engineHandle: EngineHandle | undefined;
  private loadedInfo: EngineLoadedMessage | undefined;
  private currentModel: CatalogModel | undefined;
  private currentDefinition: PoolDefinition;
  private pendingLoad: ((outcome: LoadOutcome) => void) | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartCount = 0;
  private vramFreeBytes = 0;
  private lastExitText: string | null = null;
  /** Why the supervisor itself killed the current engine (it stopped answering), for its exit's reason. */
  private hungReason: string | undefined;
  /** The current engine's CPU pin, once it is pinned. */
  private pin: PinnedEngine | undefined;
  /** Slots serving now: a pinned engine runs on all CPUs while more than one stream is served. */
  private busySlots = 0;
  private readonly watchdog: EngineWatchdog;
  private readonly log: Logger;

  constructor(private readonly options: SupervisorOptions) {
    this.policy = new RestartPolicy(options.supervisor, options.clock);
    this.currentDefinition = options.definition;
    this.log = options.log;
    this.watchdog = new EngineWatchdog(options.supervisor.engine_unresponsive_ms, (silentMs) => this.onHung(silentMs));
    // A pending restart belongs to backoff / circuit_open; any way out of them cancels it.
    options.lifecycle.on("changed", (from) => {
      if (from === "backoff" || from === "circuit_open") this.clearRestartTimer();
    });
  }

  get engine(): EngineHandle | undefined {
    return this.engineHandle;
  }
  get loaded(): EngineLoadedMessage | undefined {
    return this.loadedInfo;
  }
  get model(): CatalogModel | undefined {
    return this.currentModel;
  }
  get definition(): PoolDefinition {
    return this.currentDefinition;
  }
  get restarts(): number {
    return this.restartCount;
  }
  get vramFree(): number {
    return this.vramFreeBytes;
  }
  get lastExit(): string | null {
    return this.lastExitText;
  }

  send(message: ParentToEngineMessage): boolean {
    return this.engineHandle?.send(message) ?? false;
  }

  /**
   * Enters `phase`, starts an engine for `model` and resolves when it is ready or has failed. On
   * success the pool becomes ready with `readyError` as last_error. A failure is supervised
   * (restart, breaker, failed) except in reload_loading, whose caller rolls back. If another
   * command changed the phase meanwhile, the outcome is only reported.
   */
  async load(model: CatalogModel, phase: LoadPhase, loadingError: string | null | undefined, readyError: string | null = null): Promise<LoadOutcome> {
    const { lifecycle } = this.options;
    if (!lifecycle.transition(phase, `loading ${model.file_name}`, loadingError)) return { ok: false, cause: "stopped", code: "POOL_UNREADY", message: "transition refused" };
    this.currentModel = model;
    this.currentDefinition = { ...this.currentDefinition, model: model.file_name };
    const outcome = await this.spawn(model);
    if (!lifecycle.is(phase)) return outcome;
    if (outcome.ok) lifecycle.transition("ready", "engine loaded", readyError);
    else if (phase !== "reload_loading") this.onFailure(outcome);
    return outcome;
  }

  /** Stops the current engine (its exit is intentional) and settles a pending load as stopped. */
  async stopEngine(): Promise<void> {
    const engine = this.detach({ ok: false, cause: "stopped", code: "POOL_UNREADY", message: "engine stopped" });
    if (engine !== undefined) await engine.stop();
  }

  private spawn(model: CatalogModel): Promise<LoadOutcome> {
    const definition = this.currentDefinition;
    const addon = this.options.chooseAddon?.(definition.device);
    if (addon?.binary === "refused") {
      this.log.error({ reason: addon.reason }, "engine not started: the native node-llama-cpp build is required and cannot be used");
      return Promise.resolve({ ok: false, cause: "load_failed", code: "INTERNAL", message: addon.reason });
    }
    if (addon?.binary === "native") this.log.info({ addon: "native", dir: addon.dir, llama_cpp: addon.info.version }, "engine uses the native llama.cpp build");
    else if (addon !== undefined) this.log.info({ addon: "prebuilt", reason: addon.reason }, "engine uses node-llama-cpp's prebuilt llama.cpp build");
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (typeof definition.device === "number") {
      // node-llama-cpp picks its device itself; restrict what it can see to the chosen GPU.
      env.CUDA_VISIBLE_DEVICES = String(definition.device);
      env.GGML_VK_VISIBLE_DEVICES = String(definition.device);
    }
    const engine = (this.options.spawnEngine ?? ((e: NodeJS.ProcessEnv) => new EngineProcess(e)))(env);
    this.engineHandle = engine;
    this.loadedInfo = undefined;
    this.hungReason = undefined;
    engine.on("message", (message) => {
      if (this.engineHandle !== engine) return;
      this.watchdog.seen();
      this.onMessage(engine, message);
    });
    engine.on("exit", (exit) => {
      if (this.engineHandle === engine) this.onExit(exit);
    });
    engine.on("protocol_error", (message) => {
      this.log.error({ error: message }, "engine sent an invalid IPC message; killing it");
      engine.kill("SIGKILL");
    });
    this.log.info({ engine_pid: engine.pid, model: model.file_name, sha256: model.sha256, slots: definition.slots }, "engine starting");
    // It inherited the agent's affinity, which pinning may have narrowed: it starts on all the CPUs.
    if (engine.pid !== undefined) void this.options.cpuPinning?.pinner.spawned(engine.pid);
    // An engine stopped or wedged while loading held the pool in `loading` for good, and the orchestrator
    // counts a loading pool as coming up: requests queued for it until their deadline (10 minutes).
    // The limit is 4 × engine_unresponsive_ms (60 s by default): the child boots Node and node-llama-cpp
    // before it can answer, which takes seconds on a loaded machine.
    if (engine.answersPingsWhileLoading === true) this.watchdog.watch(engine, this.options.supervisor.engine_unresponsive_ms * LOADING_LIMIT_FACTOR);
    const outcome = new Promise<LoadOutcome>((resolve) => {
      this.pendingLoad = resolve;
    });
    engine.send({
      type: "load",
      model_path: model.path,
      slots: definition.slots,
      threads: this.options.threads,
      device: definition.device,
      ...(definition.context_size !== undefined ? { context_size: definition.context_size } : {}),
      ...(definition.memory_limit_bytes !== undefined ? { memory_limit_bytes: definition.memory_limit_bytes } : {}),
      ...(addon?.binary === "native" ? { native_addon: { dir: addon.dir, info: addon.info } } : {}),
      ...(this.options.cpuPinning?.pinsOneThreadEngines === true ? { pinned_if_one_thread: true } : {}),
    });
    return outcome;
  }

  private onMessage(engine: EngineHandle, message: EngineToParentMessage): void {
    switch (message.type) {
      case "loaded":
        this.loadedInfo = message;
        this.vramFreeBytes = message.vram_free_bytes;
        this.policy.recordReady();
        this.options.onLoaded(message);
        this.log.info({ engine_pid: engine.pid, load_ms: message.load_ms, backend: message.backend, context_size: message.context_size, estimated_bytes: message.estimated_bytes, threads: message.threads ?? this.options.threads, threads_configured: this.options.threads, ...(message.thread_calibration_ms_per_token !== undefined ? { thread_calibration_ms_per_token: message.thread_calibration_ms_per_token } : {}), ...(message.addon !== undefined ? { addon: message.addon } : {}), ...(message.addon_fallback !== undefined ? { addon_fallback: message.addon_fallback } : {}) }, "engine ready");
        this.settleLoad({ ok: true });
        this.watchdog.watch(engine);
        void this.pinToCpu(engine, message);
        return;
      case "load_failed":
        this.log.error({ code: message.code, error: message.message }, "engine failed to load the model");
        // This engine is done either way; its exit is not news.
        void this.detach({ ok: false, cause: "load_failed", code: message.code, message: message.message })?.stop(1000);
        return;
      case "stats":
        this.vramFreeBytes = message.vram_free_bytes;
        return;
      case "pong":
        return;
      default:
        this.options.onTaskMessage(message);
    }
  }

  private onExit(exit: EngineExit): void {
    this.lastExitText = this.hungReason ?? describeExit(exit);
    const reason = `engine ${this.lastExitText}`;
    const wasLoading = this.pendingLoad !== undefined;
    this.detach({ ok: false, cause: "crash", code: "ENGINE_CRASHED", message: reason });
    this.options.onEngineGone(reason);
    // Draining, stopping and a reload's trial do not restart; a crash while loading is load()'s.
    if (!this.options.lifecycle.is("ready", "loading", "rollback_loading")) return;
    this.log.error({ exit_code: exit.code, signal: exit.signal, ...(this.hungReason !== undefined ? { reason: this.hungReason } : {}) }, "engine crashed");
    if (wasLoading) return;
    this.onFailure({ ok: false, cause: "crash", code: "ENGINE_CRASHED", message: reason });
  }

  /**
   * A one-thread engine on a CPU backend goes to one CPU (engine-cpu-pinning.ts says why). The engine's
   * threads count after its calibration, so the pin comes after "loaded"; a failure is logged and the
   * engine serves unpinned.
   */
  private async pinToCpu(engine: EngineHandle, loaded: EngineLoadedMessage): Promise<void> {
    const pinning = this.options.cpuPinning;
    const threads = loaded.threads ?? this.options.threads;
    if (pinning?.pinsOneThreadEngines !== true || engine.pid === undefined || threads !== 1 || loaded.backend !== "cpu") return;
    const outcome = await pinning.pinner.pin(engine.pid);
    if (!outcome.pinned) {
      this.log.warn({ engine_pid: engine.pid, reason: outcome.reason }, "engine not pinned to a CPU (engine_cpu_pinning): it decodes unpinned");
      return;
    }
    // Gone (or replaced) while taskset ran: its CPU is free again.
    if (this.engineHandle !== engine || !engine.alive) {
      outcome.release();
      return;
    }
    this.pin = outcome;
    this.log.info({ engine_pid: engine.pid, cpu: outcome.cpu }, "engine pinned to a CPU");
    if (this.busySlots > 1) void outcome.spread(true);
  }

  /**
   * The pool's busy slots changed. One stream: the pinned engine stays on its CPU (its two threads take
   * turns); several: it may use all the CPUs, where its JavaScript thread handles one stream's token
   * while the pool thread samples the next (pinned, four streams ran 0.84× as fast on the medium model).
   */
  slotsBusy(busy: number): void {
    this.busySlots = busy;
    void this.pin?.spread(busy > 1);
  }

  /** Forgets the current engine (settling a pending load with `outcome`) and returns it. */
  private detach(outcome: LoadOutcome): EngineHandle | undefined {
    this.watchdog.stop();
    this.pin?.release();
    this.pin = undefined;
    const engine = this.engineHandle;
    this.engineHandle = undefined;
    this.loadedInfo = undefined;
    this.settleLoad(outcome);
    return engine;
  }

  /** The loaded engine answered nothing for the watchdog's limit: killed, so its exit fails its tasks and restarts it. */
  private onHung(silentMs: number): void {
    const engine = this.engineHandle;
    if (engine === undefined) return;
    const phase = this.loadedInfo === undefined ? " while loading" : "";
    this.hungReason = `stopped answering${phase} (nothing for ${silentMs} ms, engine_unresponsive_ms ${this.options.supervisor.engine_unresponsive_ms}${phase !== "" ? ` × ${LOADING_LIMIT_FACTOR}` : ""}) and was killed`;
    this.log.error({ engine_pid: engine.pid, silent_ms: silentMs }, "engine unresponsive: killing it (its tasks fail with ENGINE_CRASHED, it is restarted)");
    engine.kill("SIGKILL");
  }

  private settleLoad(outcome: LoadOutcome): void {
    const resolve = this.pendingLoad;
    this.pendingLoad = undefined;
    resolve?.(outcome);
  }

  private onFailure(failure: Extract<LoadOutcome, { ok: false }>): void {
    const { lifecycle } = this.options;
    const message = `${failure.cause === "load_failed" ? `${failure.code}: ` : ""}${failure.message}`;
    // A model that does not fit will not fit after a restart either.
    if (failure.code === "MODEL_TOO_LARGE") {
      lifecycle.transition("failed", "model too large", message);
      return;
    }
    this.options.metrics.engineRestarts.inc({ pool_id: this.options.poolId, reason: failure.cause === "load_failed" ? "load_failed" : "crash" });
    const model = this.currentModel;
    if (model === undefined) return;
    const decision = this.policy.recordFailure();
    if (decision.kind === "restart") {
      this.restartCount++;
      this.log.warn({ delay_ms: decision.delayMs, consecutive_failures: decision.consecutiveFailures, reason: message }, "engine restart scheduled");
      lifecycle.transition("backoff", message, message);
      this.restartTimer = setTimeout(() => void this.load(model, "loading", undefined), decision.delayMs);
      return;
    }
    const waitMs = Math.max(0, decision.retryAtMs - this.options.clock.now());
    this.log.error({ reason: decision.reason, retry_in_ms: waitMs }, "engine circuit breaker open");
    lifecycle.transition("circuit_open", decision.reason, `${message} (circuit open: ${decision.reason})`);
    const trial = (): void => {
      if (this.policy.state !== "open") return; // an operator reload started afresh meanwhile
      // A timer may fire a moment before the clock reaches the end of the open period: wait out the rest.
      if (!this.policy.beginTrial()) {
        this.restartTimer = setTimeout(trial, Math.max(1, Math.ceil(decision.retryAtMs - this.options.clock.now())));
        return;
      }
      this.restartCount++;
      void this.load(model, "loading", undefined);
    };
    this.restartTimer = setTimeout(trial, waitMs);
  }

  private clearRestartTimer(): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }
}

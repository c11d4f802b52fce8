import { EventEmitter } from "node:events";
import type { PoolDefinition, PoolDevice, SupervisorConfig } from "../../src-shared/config/worker-config.js";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import type { PoolSnapshot } from "../../src-shared/nodes/pool-snapshot.js";
import type { PoolStatus } from "../../src-shared/worker-api/pool-status.js";
import type { CatalogModel } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import { LlamaServerEngine } from "../engine/llama-server/llama-server-engine.js";
import type { EngineCpuPinner } from "../engine/engine-cpu-pinning.js";
import type { AddonChoice } from "../engine/native-addon/addon-choice.js";
import { EngineSupervisor, type EngineHandle } from "./engine-supervisor.js";
import { PoolLifecycle, RELOAD_PHASES, type PoolPhase } from "./pool-lifecycle.js";
import { reloadWithRollback } from "./pool-reload.js";
import { ENGINE, PoolServing } from "./pool-serving.js";
import { systemClock, type Clock } from "./restart-policy.js";
import type { Admission, InferTask, PoolDiagnostics, ServingPool } from "./serving-pool.js";

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
  /** Starts an engine child; tests pass a fake. */
  spawnEngine?: (env: NodeJS.ProcessEnv) => EngineHandle;
  /** The llama-server binary, for pools with engine "llama-server". */
  llamaServerBinary?: () => Promise<string>;
  /** Which llama.cpp build a node-llama-cpp engine loads (addon-choice.ts); unset: the prebuilt. */
  chooseAddon?: (device: PoolDevice) => AddonChoice;
  /** Pins one-thread node-llama-cpp engines on CPU to one CPU each (engine_cpu_pinning "auto"); unset: never. */
  cpuPinner?: EngineCpuPinner;
  /** Throw on an illegal lifecycle transition (default: under vitest). */
  strictTransitions?: boolean;
}

/**
 * A pool = one model on one device with N slots, served by a supervised engine child. This facade
 * composes the lifecycle (pool-lifecycle.ts), the engine supervisor (restart with backoff, breaker),
 * serving (slots, in-flight tasks) and reload with rollback, and turns operator commands into
 * lifecycle transitions.
 */
export class LlamaPool extends EventEmitter<{ changed: [] }> implements ServingPool {
  readonly id: string;
  private readonly lifecycle: PoolLifecycle;
  private readonly supervisor: EngineSupervisor;
  private readonly serving: PoolServing;
  private readonly log: Logger;
  /** "llamacpp" (node-llama-cpp child) or "llama-server", as status, heartbeats and events report it. */
  readonly engineName: string;
  /** The running drain or stop, for callers arriving while it runs (set only in those phases). */
  private windingDown: Promise<void> | undefined;
  /** Retired because its model copy went bad: starts again when the catalog resolves its model. */
  private retired = false;

  constructor(private readonly options: LlamaPoolOptions) {
    super();
    this.id = options.definition.id;
    this.log = options.log.child({ pool_id: this.id });
    this.lifecycle = new PoolLifecycle(this.log, options.strictTransitions);
    this.lifecycle.on("changed", () => this.emit("changed"));
    const llamaServer = options.definition.engine === "llama-server";
    this.engineName = llamaServer ? "llama-server" : ENGINE;
    const binary = options.llamaServerBinary;
    const spawnEngine =
      options.spawnEngine ??
      (llamaServer && binary !== undefined ? (env: NodeJS.ProcessEnv): EngineHandle => new LlamaServerEngine({ binary, env }) : undefined);
    this.serving = new PoolServing(
      {
        poolId: this.id,
        canServe: () => this.lifecycle.is("ready") && this.supervisor.engine !== undefined,
        describe: () => this.describe(),
        startedFacts: () => ({
          ...(this.supervisor.model !== undefined ? { model: this.supervisor.model.sha256 } : {}),
          ...(this.supervisor.loaded !== undefined ? { engine_version: this.supervisor.loaded.engine_version } : {}),
        }),
        engineName: this.engineName,
        send: (message) => this.supervisor.send(message),
      },
      options.definition.slots,
      options.slotWaitMs,
      options.slotQueueLimit,
      options.metrics,
      this.log,
    );
    this.supervisor = new EngineSupervisor({
      poolId: this.id,
      definition: options.definition,
      threads: options.threads,
      supervisor: options.supervisor,
      clock: options.clock ?? systemClock,
      metrics: options.metrics,
      log: this.log,
      lifecycle: this.lifecycle,
      ...(spawnEngine !== undefined ? { spawnEngine } : {}),
      ...(options.chooseAddon !== undefined && !llamaServer ? { chooseAddon: options.chooseAddon } : {}),
      // Real engine processes only (a test's fake has no process of its own); llama-server runs its own
      // loop in one process, so it is never pinned, only given all the CPUs when it starts.
      ...(options.cpuPinner !== undefined && options.spawnEngine === undefined ? { cpuPinning: { pinner: options.cpuPinner, pinsOneThreadEngines: !llamaServer } } : {}),
      onLoaded: (loaded) => this.serving.gate.resize(loaded.slots),
      onTaskMessage: (message) => this.serving.onEngineMessage(message),
      onEngineGone: (reason) => {
        this.serving.closeWaiters(`engine crashed (${reason})`);
        this.serving.failInFlight("ENGINE_CRASHED", reason);
      },
    });
    this.serving.gate.onBusyChange((busy) => this.supervisor.slotsBusy(busy));
  }

  get modelRef(): string {
    return this.supervisor.definition.model;
  }

  get currentModel(): CatalogModel | undefined {
    return this.supervisor.model;
  }

  /** The lifecycle phase (finer than the wire state), for tests and diagnostics. */
  get phase(): PoolPhase {
    return this.lifecycle.phase;
  }

  get isReloading(): boolean {
    return this.lifecycle.is(...RELOAD_PHASES);
  }

  /** Resolves the model and starts the engine; does not wait for it to load. */
  start(): void {
    const ref = this.supervisor.definition.model;
    const model = this.options.resolveModel(ref);
    if (model === undefined) {
      if (!this.lifecycle.is("failed")) this.lifecycle.transition("failed", "model not found", `model "${ref}" not found in the models dir`);
      return;
    }
    void this.supervisor.load(model, "loading", undefined);
  }

  /** The catalog changed: a pool that failed because its model was missing may start now. */
  retryIfModelAppeared(): void {
    if (!this.lifecycle.is("failed") || (this.supervisor.model !== undefined && !this.retired)) return;
    if (this.retired && this.options.resolveModel(this.supervisor.definition.model) === undefined) return;
    this.retired = false;
    this.start();
  }

  /**
   * The loaded copy's bytes are no longer the ones verified. llama.cpp maps the file into memory, so
   * the engine's weights are those changed bytes: nothing more is served from it. Waiters are
   * refused, running tasks end with WORKER_RESET (re-placed elsewhere when no token was sent), the
   * engine stops and the pool stays failed with `reason` as last_error until the model is back.
   */
  async retire(reason: string): Promise<void> {
    if (this.lifecycle.is("stopping")) await this.windingDown;
    if (!this.lifecycle.is("stopped", "failed")) {
      this.lifecycle.transition("stopping", reason, reason);
      this.serving.closeWaiters(reason);
      this.serving.failInFlight("WORKER_RESET", reason, true);
      const stopping = this.supervisor.stopEngine();
      this.windingDown = stopping;
      await stopping;
      this.windingDown = undefined;
      this.lifecycle.transition("stopped", reason);
    }
    if (!this.lifecycle.is("failed")) this.lifecycle.transition("failed", "model copy quarantined", reason);
    this.retired = true;
  }

  admit(): Admission {
    return this.serving.admit();
  }

  run(task: InferTask): Promise<void> {
    return this.serving.run(task);
  }

  status(): PoolStatus {
    const ready = this.lifecycle.is("ready");
    const model = this.supervisor.model;
    const gate = this.serving.gate;
    return {
      pool_id: this.id,
      live: this.supervisor.engine?.alive ?? false,
      ready,
      draining: this.lifecycle.wireState === "draining",
      state: this.lifecycle.wireState,
      slots_total: gate.total,
      slots_free: ready ? gate.free : 0,
      engine: this.engineName,
      engine_version: this.supervisor.loaded?.engine_version ?? "",
      device_mask: this.deviceMask(),
      vram_free_bytes: this.supervisor.vramFree,
      model: model === undefined ? null : { sha256: model.sha256, name: model.inventory?.name ?? model.file_name },
      last_error: this.lifecycle.lastError,
      restarts: this.supervisor.restarts,
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
      engine: this.engineName,
      device_mask: status.device_mask,
      // Only the loaded model is servable without a reload; the node's full inventory goes separately.
      models_available: status.model !== null ? [status.model.sha256] : [],
      last_error: status.last_error,
      state: status.state,
    };
    if (status.engine_version !== "") snapshot.engine_version = status.engine_version;
    if (status.model !== null) snapshot.model = status.model;
    const tps = this.serving.throughput;
    if (tps !== undefined) snapshot.tokens_per_second = Math.round(tps * 10) / 10;
    return snapshot;
  }

  diagnostics(): PoolDiagnostics {
    return {
      pool_id: this.id,
      kind: "llama",
      state: this.lifecycle.phase,
      engine_pid: this.supervisor.engine?.pid ?? null,
      circuit: this.supervisor.policy.state,
      consecutive_failures: this.supervisor.policy.failures,
      restarts: this.supervisor.restarts,
      slots_busy: this.serving.gate.busy,
      slots_waiting: this.serving.gate.waiting,
      model_path: this.supervisor.model?.path ?? null,
      last_exit: this.supervisor.lastExit,
      source: this.options.source,
      defined_model: this.options.definition.model,
    };
  }

  /** Stop taking work, let in-flight tasks finish until the deadline, stop the engine. A drain during a reload cancels the reload. */
  drain(deadlineMs: number): Promise<void> {
    const { lifecycle } = this;
    const finish = (): void => {
      if (lifecycle.is("draining")) lifecycle.transition("stopped", "drained");
    };
    if (lifecycle.is("stopped")) return Promise.resolve();
    if (lifecycle.is("stopping", "draining", "reload_draining")) {
      // A drain is already running; relabelling a reload's drain keeps the reload from loading afterwards.
      if (lifecycle.is("reload_draining")) lifecycle.transition("draining", "drain requested during a reload");
      return (this.windingDown ?? Promise.resolve()).then(finish);
    }
    lifecycle.transition("draining", "drain requested");
    return this.windDown(deadlineMs).then(finish);
  }

  /** Drain → load another model → ready; on failure roll back to the previous model. */
  reload(target: CatalogModel, drainDeadlineMs: number): Promise<void> {
    if (!this.lifecycle.can("reload_draining")) {
      const why = this.isReloading ? "is already reloading" : `is ${this.lifecycle.phase}`;
      return Promise.reject(new OrchError("CONFLICT", `pool ${this.id} ${why}`));
    }
    return reloadWithRollback({ lifecycle: this.lifecycle, supervisor: this.supervisor, windDown: (ms) => this.windDown(ms), log: this.log }, target, drainDeadlineMs);
  }

  /** Stops at once: waiters and in-flight tasks get an error event, the engine stops. */
  async stop(): Promise<void> {
    if (this.lifecycle.is("stopped")) return;
    if (this.lifecycle.is("stopping")) return this.windingDown;
    this.lifecycle.transition("stopping", "stop requested");
    this.serving.closeWaiters("pool stopped");
    this.serving.failInFlight("WORKER_RESET", "pool stopped");
    const stopping = this.supervisor.stopEngine();
    this.windingDown = stopping;
    await stopping;
    this.windingDown = undefined;
    this.lifecycle.transition("stopped", "stopped");
  }

  /** The drain itself (for drain and reload): refuse waiters, wait for idle until the deadline, abort the rest, stop the engine. */
  private windDown(deadlineMs: number): Promise<void> {
    const run = async (): Promise<void> => {
      this.serving.closeWaiters(`pool ${this.id} is draining`);
      await this.serving.waitIdle(deadlineMs);
      this.serving.failInFlight("WORKER_RESET", `pool ${this.id} drained: deadline of ${deadlineMs} ms reached`, true);
      await this.supervisor.stopEngine();
    };
    const running = run().finally(() => {
      if (this.windingDown === running) this.windingDown = undefined;
    });
    this.windingDown = running;
    return running;
  }

  private describe(): string {
    const lastError = this.lifecycle.lastError;
    return `pool ${this.id} is ${this.lifecycle.wireState}${lastError !== null ? `: ${lastError}` : ""}`;
  }

  private deviceMask(): string {
    const device = this.supervisor.definition.device;
    if (device === "cpu" || this.supervisor.loaded?.backend === "cpu") return "cpu";
    if (typeof device === "number") return String(device);
    return this.supervisor.loaded === undefined ? "auto" : "all";
  }
}

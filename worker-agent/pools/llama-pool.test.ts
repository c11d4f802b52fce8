import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { PoolDefinitionSchema, SupervisorConfigSchema, type PoolDevice } from "../../src-shared/config/worker-config.js";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import type { CatalogModel } from "../catalog/model-catalog.js";
import type { EngineToParentMessage, ParentToEngineMessage } from "../engine/engine-ipc.js";
import type { EngineExit } from "../engine/engine-process.js";
import type { AddonChoice } from "../engine/native-addon/addon-choice.js";
import { createLogger } from "../logging/logger.js";
import { WorkerMetrics } from "../metrics/worker-metrics.js";
import type { EngineHandle } from "./engine-supervisor.js";
import { LlamaPool } from "./llama-pool.js";
import type { PoolPhase } from "./pool-lifecycle.js";

// The facade's commands against fake engines: which phases a pool walks through, and that a drain
// or stop during a reload wins over it (no engine is started behind the operator's back).

class FakeEngine extends EventEmitter<{ message: [EngineToParentMessage]; exit: [EngineExit]; protocol_error: [string] }> implements EngineHandle {
  readonly sent: ParentToEngineMessage[] = [];
  alive = true;
  readonly pid = 4242;
  send(message: ParentToEngineMessage): boolean {
    this.sent.push(message);
    return this.alive;
  }
  kill(): void {
    this.exit({ code: null, signal: "SIGKILL" });
  }
  stop(): Promise<void> {
    if (this.alive) this.exit({ code: 0, signal: null });
    return Promise.resolve();
  }
  exit(exit: EngineExit): void {
    this.alive = false;
    this.emit("exit", exit);
  }
  get modelPath(): string | undefined {
    const load = this.sent.find((m) => m.type === "load");
    return load?.type === "load" ? load.model_path : undefined;
  }
  loaded(): void {
    this.emit("message", { type: "loaded", engine_version: "fake", backend: "cpu", context_size: 512, slots: 2, vram_total_bytes: 0, vram_free_bytes: 0, estimated_bytes: 1, load_ms: 1 });
  }
  loadFailed(): void {
    this.emit("message", { type: "load_failed", code: "INTERNAL", message: "bad tensor" });
  }
}

const model = (name: string): CatalogModel => ({ path: `/models/${name}.gguf`, file_name: `${name}.gguf`, size_bytes: 1, mtime_ms: 0, ino: 0, sha256: name.padEnd(64, "0") });
const A = model("a");
const B = model("b");
const pools: LlamaPool[] = [];
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function makePool(models: CatalogModel[] = [A, B], chooseAddon?: (device: PoolDevice) => AddonChoice): { pool: LlamaPool; engines: FakeEngine[]; phases: PoolPhase[] } {
  const engines: FakeEngine[] = [];
  const pool = new LlamaPool({
    definition: PoolDefinitionSchema.parse({ id: "p", model: "a.gguf", device: "cpu" }),
    resolveModel: (ref) => models.find((m) => m.file_name === ref),
    threads: 1,
    slotWaitMs: 1000,
    slotQueueLimit: 4,
    supervisor: SupervisorConfigSchema.parse({ initial_backoff_ms: 1, jitter: 0 }),
    metrics: new WorkerMetrics("n", "test", () => [], () => 0),
    log: createLogger("silent"),
    source: "config",
    strictTransitions: true,
    ...(chooseAddon !== undefined ? { chooseAddon } : {}),
    spawnEngine: () => {
      const engine = new FakeEngine();
      engines.push(engine);
      return engine;
    },
  });
  const phases: PoolPhase[] = [];
  pool.on("changed", () => phases.push(pool.phase));
  pools.push(pool);
  return { pool, engines, phases };
}

async function readyPool(): Promise<ReturnType<typeof makePool>> {
  const made = makePool();
  made.pool.start();
  made.engines[0]?.loaded();
  await tick();
  expect(made.pool.phase).toBe("ready");
  return made;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

describe("LlamaPool lifecycle", () => {
  it("start → loading → ready; a crash goes to backoff and restarts", async () => {
    const { pool, engines, phases } = await readyPool();
    expect(pool.admit()).toEqual({ ok: true });
    engines[0]?.exit({ code: null, signal: "SIGKILL" });
    expect(pool.phase).toBe("backoff");
    expect(pool.status()).toMatchObject({ state: "backoff", ready: false, last_error: "engine killed by SIGKILL", restarts: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(pool.phase).toBe("loading");
    engines[1]?.loaded();
    await tick();
    expect(phases).toEqual(["loading", "ready", "backoff", "loading", "ready"]);
    expect(pool.status().last_error).toBeNull();
  });

  it("a missing model fails the pool; it starts once the model appears", async () => {
    const models: CatalogModel[] = [];
    const { pool, engines } = makePool(models);
    pool.start();
    expect(pool.status()).toMatchObject({ state: "failed", last_error: 'model "a.gguf" not found in the models dir' });
    pool.retryIfModelAppeared();
    expect(pool.phase).toBe("failed");
    models.push(A);
    pool.retryIfModelAppeared();
    expect(pool.phase).toBe("loading");
    expect(engines).toHaveLength(1);
  });

  it("drain during load stops the engine and ends stopped; the late engine is ignored", async () => {
    const { pool, engines, phases } = makePool();
    pool.start();
    await pool.drain(1000);
    engines[0]?.loaded();
    await tick();
    expect(phases).toEqual(["loading", "draining", "stopped"]);
    expect(pool.status()).toMatchObject({ state: "stopped", ready: false, live: false });
  });

  it("drain of a stopped pool changes nothing", async () => {
    const { pool, phases } = makePool();
    await pool.drain(1000);
    expect(phases).toEqual([]);
  });

  it("reload: drain → load target → ready; a second reload meanwhile is a CONFLICT", async () => {
    const { pool, engines, phases } = await readyPool();
    const reloading = pool.reload(B, 1000);
    expect(pool.isReloading).toBe(true);
    await expect(pool.reload(A, 1000)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(pool.reload(A, 1000)).rejects.toBeInstanceOf(OrchError);
    await tick();
    expect(engines[1]?.modelPath).toBe(B.path);
    engines[1]?.loaded();
    await reloading;
    expect(phases.slice(2)).toEqual(["reload_draining", "reload_loading", "ready"]);
    expect(pool.status()).toMatchObject({ state: "ready", model: { sha256: B.sha256 }, last_error: null });
    expect(pool.modelRef).toBe("b.gguf");
    expect(pool.isReloading).toBe(false);
  });

  it("reload rolls back to the previous model when the target does not load", async () => {
    const { pool, engines, phases } = await readyPool();
    const reloading = pool.reload(B, 1000);
    await tick();
    engines[1]?.loadFailed();
    await tick();
    expect(pool.phase).toBe("rollback_loading");
    expect(engines[2]?.modelPath).toBe(A.path);
    engines[2]?.loaded();
    await reloading;
    expect(phases.slice(2)).toEqual(["reload_draining", "reload_loading", "rollback_loading", "ready"]);
    expect(pool.status().model?.sha256).toBe(A.sha256);
    expect(pool.status().last_error).toMatch(/reload to b.gguf failed \(INTERNAL: bad tensor\); rolled back to a.gguf/);
  });

  it("a drain during a reload's load cancels the reload: no rollback engine, ends stopped", async () => {
    const { pool, engines, phases } = await readyPool();
    const reloading = pool.reload(B, 1000);
    await tick();
    expect(pool.phase).toBe("reload_loading");
    await pool.drain(1000);
    await reloading;
    expect(engines).toHaveLength(2);
    expect(phases.slice(2)).toEqual(["reload_draining", "reload_loading", "draining", "stopped"]);
  });

  it("a drain during a reload's drain keeps the reload from loading", async () => {
    const { pool, engines } = await readyPool();
    const reloading = pool.reload(B, 1000);
    expect(pool.phase).toBe("reload_draining");
    const draining = pool.drain(1000);
    expect(pool.phase).toBe("draining");
    await Promise.all([reloading, draining]);
    expect(pool.phase).toBe("stopped");
    expect(engines).toHaveLength(1);
  });

  it("a reload during a drain takes it over and loads afterwards", async () => {
    const { pool, engines } = await readyPool();
    const draining = pool.drain(1000);
    const reloading = pool.reload(B, 1000);
    expect(pool.phase).toBe("reload_draining");
    await draining;
    await tick();
    expect(pool.phase).toBe("reload_loading");
    engines[1]?.loaded();
    await reloading;
    expect(pool.phase).toBe("ready");
  });

  it("stop during a reload's load starts no rollback engine", async () => {
    const { pool, engines } = await readyPool();
    const reloading = pool.reload(B, 1000);
    await tick();
    await pool.stop();
    await reloading;
    expect(engines).toHaveLength(2);
    expect(pool.status()).toMatchObject({ state: "stopped", live: false });
  });
});

describe("LlamaPool llama.cpp build choice", () => {
  const info = { version: "v0.4.0-80fb11ac73", tag: "v0.4.0", node_llama_cpp: "3.21.1", cpu: "c", cmake_options: {}, built_at: "2026-11-29T13:00:00.000Z", build_seconds: 1 };

  it("passes the native build to the engine when chosen, for the pool's device, and nothing otherwise", async () => {
    const devices: PoolDevice[] = [];
    const native = makePool([A, B], (device) => {
      devices.push(device);
      return { binary: "native", dir: "/data/nlc", info };
    });
    native.pool.start();
    await tick();
    expect(devices).toEqual(["cpu"]);
    expect(native.engines[0]?.sent[0]).toMatchObject({ type: "load", native_addon: { dir: "/data/nlc", info } });
    const prebuilt = makePool([A, B], () => ({ binary: "prebuilt", reason: "no native build" }));
    prebuilt.pool.start();
    await tick();
    expect(prebuilt.engines[0]?.sent[0]).toMatchObject({ type: "load" });
    expect(prebuilt.engines[0]?.sent[0]).not.toHaveProperty("native_addon");
  });

  it("a refused choice starts no engine and fails the load with the reason", async () => {
    const { pool, engines } = makePool([A, B], () => ({ binary: "refused", reason: 'node_llama_cpp_addon is "native" but no native build in /x' }));
    pool.start();
    await tick();
    expect(engines).toHaveLength(0);
    // Restarted with backoff like any load failure: a build made meanwhile is used at the next try.
    expect(pool.status()).toMatchObject({ ready: false, state: "backoff", last_error: 'INTERNAL: node_llama_cpp_addon is "native" but no native build in /x' });
  });
});

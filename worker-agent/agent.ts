import { MAX_MODELS_PER_NODE } from "../src-shared/nodes/node-model-limit.js";
import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { availableParallelism, totalmem } from "node:os";
import { join } from "node:path";
import { createLimitedServer, WORKER_SERVER_LIMITS, type Server } from "../src-node/http-server.js";
import { clusterFetch, type FetchLike } from "../src-node/tls/cluster-fetch.js";
import type { NodeTls } from "./tls/node-tls.js";
import type { PoolDefinition, WorkerConfig } from "../src-shared/config/worker-config.js";
import type { QuarantinedCopy } from "../src-shared/models/quarantined-copy.js";
import type { HeartbeatRequest } from "../src-shared/nodes/heartbeat.js";
import type { RegisterNodeRequest } from "../src-shared/nodes/node-registration.js";
import { bindHost, isLoopbackHost } from "./auth/token-policy.js";
import { InPlaceFiles } from "./catalog/in-place-files.js";
import { ModelCatalog } from "./catalog/model-catalog.js";
import { defaultAutoPoolSlots } from "./config/default-threads.js";
import { HandoffWatcher } from "./handoff/handoff-watcher.js";
import { ModelReceiver } from "./http/model-receive.js";
import { createTracing, tracesEndpoint } from "../src-node/tracing/otel-tracing.js";
import { createWorkerApp, type ReloadResult } from "./http/worker-app.js";
import type { Logger } from "./logging/logger.js";
import { WorkerMetrics } from "./metrics/worker-metrics.js";
import { TelemetrySampler } from "./telemetry/telemetry-sampler.js";
import { autoPoolId } from "./pools/auto-pool-id.js";
import { allowedCpus, EngineCpuPinner, enginesPinnedElsewhere } from "./engine/engine-cpu-pinning.js";
import { TasksetHelper } from "./engine/taskset-helper.js";
import { resolveLlamaServerBinary } from "./engine/llama-server/llama-server-build.js";
import { LlamaPool } from "./pools/llama-pool.js";
import { PoolRegistry } from "./pools/pool-registry.js";
import { TaskRegistry } from "./pools/task-registry.js";
import { NodeRegistration } from "./registration/node-registration.js";
import { OrchestratorClient } from "./registration/orchestrator-client.js";
import { GrantVerifier } from "./staging/grant-verifier.js";
import { ModelPulls } from "./staging/model-pulls.js";
import { heartbeatJitterMs } from "./system/test-fault-hooks.js";
import { cpuOnlyProbeResult } from "./system/cpu-only-host.js";
import { detectGpus, probeLlamaBackend, type ProbeOutcome } from "./system/system-probe.js";
import { choiceAwaitsProbe, nativeAddonChooser } from "./engine/native-addon/native-addon-chooser.js";

export interface WorkerAgent {
  /** Resolves with the base URL actually bound (port 0 → the OS's choice). */
  start(): Promise<{ address: string }>;
  /** Drain (bounded by shutdown_drain_ms), deregister, stop engines, close the server. */
  shutdown(reason: string): Promise<void>;
}

/** Wires catalog, pools, handoff watcher, HTTP API and registration for one agent process. */
export function createWorkerAgent(config: WorkerConfig, token: string, version: string, log: Logger, tls?: NodeTls, onRegistrationRefused?: (message: string) => void): WorkerAgent {
  // TLS between nodes: https:// peers are trusted through the pinned cluster CA only; the orchestrator
  // must present its own certificate, model sources (orchestrator or peer node) any of the cluster's
  // (checked in staging/range-get.ts).
  const toOrchestrator: FetchLike = tls !== undefined ? clusterFetch(tls.caPem, { role: "orchestrator" }) : globalThis.fetch;
  const scheme = tls?.server !== undefined ? "https" : "http";
  const pools = new PoolRegistry();
  const tasks = new TaskRegistry();
  const inPlace = new InPlaceFiles(join(config.data_dir, "in-place-models.json"));
  const catalog = new ModelCatalog(config.models_dir, join(config.data_dir, "catalog-cache.json"), config.catalog_poll_ms, log.child({ component: "catalog" }), () => inPlace.list());
  const telemetry = new TelemetrySampler();
  // Off (the no-op) unless an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT).
  const tracing = createTracing(config, { serviceVersion: version, instanceId: config.node_id });
  if (tracing.enabled) log.info({ traces_endpoint: tracesEndpoint(config), service_name: config.otel_service_name }, "OpenTelemetry tracing on");
  const metrics = new WorkerMetrics(config.node_id, version, () => pools.list(), () => catalog.list().length, () => telemetry.latest());
  const autoPoolPaths = new Map<string, string>(); // model path → pool id
  const quarantinedPaths = new Set<string>();
  let probe: ProbeOutcome = { ok: false, error: "not probed yet" };
  let server: Server | undefined;
  let registration: NodeRegistration | undefined;
  let handoff: HandoffWatcher | undefined;
  let advertiseUrl = "";
  let shuttingDown = false;
  // sha256 values whose .part is being written: one writer per model, upload or pull.
  const busyParts = new Set<string>();
  const pulls = new ModelPulls(catalog, busyParts, metrics, log.child({ component: "staging" }), config.staging_stall_timeout_ms, tls?.caPem);

  // Where pools with engine "llama-server" find it: the configured path, else what `engine build` made.
  const llamaServerBinary = (): Promise<string> => resolveLlamaServerBinary(config.llama_server_path, config.data_dir);
  // Which llama.cpp build node-llama-cpp pools load (addon-choice.ts), decided at each engine start.
  const chooseAddon = nativeAddonChooser(config, () => probe.ok && probe.result.backend !== "cpu");
  // Read before any engine is pinned: pinning narrows this process's own affinity, which
  // availableParallelism() follows, and the node's size must not change with it.
  const cpuCores = availableParallelism();
  // One CPU per one-thread CPU engine, spread over this agent's CPUs (engine-cpu-pinning.ts).
  // Linux only (/proc and taskset), and only with a CPU to choose; otherwise nothing is pinned.
  const pinnableCpus = config.engine_cpu_pinning === "auto" && process.platform === "linux" ? allowedCpus() : [];
  const cpuPinner = pinnableCpus.length >= 2 ? new EngineCpuPinner(pinnableCpus, new TasksetHelper().set, process.pid, process.pid, (message) => log.warn({}, message), enginesPinnedElsewhere) : undefined;
  if (config.engine_cpu_pinning === "auto" && cpuPinner === undefined) log.debug({ platform: process.platform, cpus: pinnableCpus.length }, "engine CPU pinning not available here: engines are left to the scheduler");
  const makePool = (definition: PoolDefinition, source: "config" | "auto"): LlamaPool =>
    new LlamaPool({
      definition,
      resolveModel: (ref) => catalog.resolve(ref),
      threads: config.threads,
      slotWaitMs: config.slot_wait_ms,
      slotQueueLimit: config.slot_queue_limit,
      supervisor: config.supervisor,
      metrics,
      log,
      source,
      llamaServerBinary,
      chooseAddon,
      ...(cpuPinner !== undefined ? { cpuPinner } : {}),
    });

  /** No pools configured: one pool per readable model in the models dir, following the catalog. */
  const syncAutoPools = async (): Promise<void> => {
    if (config.pools !== undefined || shuttingDown) return;
    const present = new Set(catalog.list().filter((m) => m.inventory !== undefined).map((m) => m.path));
    for (const [path, poolId] of [...autoPoolPaths]) {
      // A quarantined copy's pool stays, failed with its reason, and starts again when the file is back.
      if (present.has(path) || quarantinedPaths.has(path)) continue;
      autoPoolPaths.delete(path);
      await retireRemovedModelPool(poolId, path);
    }
    for (const model of catalog.list()) {
      if (model.inventory === undefined || autoPoolPaths.has(model.path)) continue;
      // Pool ids are cluster-wide (the orchestrator's /v2/pools/{id}), so auto ids carry the node id.
      const id = autoPoolId(`${config.node_id}.${model.file_name}`, (candidate) => pools.has(candidate));
      const hasGpu = probe.ok && probe.result.backend !== "cpu";
      const pool = makePool(
        { id, model: model.file_name, device: "auto", engine: "node-llama-cpp", slots: config.auto_pool_slots ?? defaultAutoPoolSlots(cpuCores, hasGpu) },
        "auto",
      );
      autoPoolPaths.set(model.path, id);
      pools.add(pool);
      pool.start();
    }
  };

  /**
   * A deleted model file stays readable to the engine that maps it, so its pool drains: no new
   * tasks, running streams finish from memory (until shutdown_drain_ms), then the pool goes.
   */
  const retireRemovedModelPool = async (poolId: string, path: string): Promise<void> => {
    const pool = pools.get(poolId);
    if (pool === undefined) return;
    log.info({ pool_id: poolId, path, drain_ms: config.shutdown_drain_ms }, "model removed; draining its pool");
    await pool.drain(config.shutdown_drain_ms);
    await pools.remove(poolId);
  };

  /** A copy went bad under a pool: the pool retires at once (see LlamaPool.retire). */
  const onQuarantined = (path: string, copy: QuarantinedCopy): void => {
    quarantinedPaths.add(path);
    const reason = `model file ${copy.file_name} quarantined: ${copy.reason}`;
    for (const pool of pools.list()) {
      if (!(pool instanceof LlamaPool) || pool.currentModel?.path !== path) continue;
      log.warn({ pool_id: pool.id, file: copy.file_name, reason: copy.reason }, "pool retired: its model copy is corrupt");
      pool
        .retire(reason)
        .then(() => pool.retryIfModelAppeared())
        .catch((error: unknown) => log.error({ pool_id: pool.id, err: error }, "retiring a pool failed"));
    }
    registration?.notifyChange();
  };

  const reloadPool = (poolId: string, modelRef: string, drainDeadlineMs: number): ReloadResult => {
    const pool = pools.get(poolId);
    if (!(pool instanceof LlamaPool)) return { ok: false, code: "CONFLICT", message: `pool ${poolId} is an external engine; reload it where it runs` };
    if (pool.isReloading) return { ok: false, code: "CONFLICT", message: `pool ${poolId} is already reloading` };
    const target = catalog.resolve(modelRef);
    if (target === undefined) return { ok: false, code: "MODEL_NOT_FOUND", message: `model "${modelRef}" is not in this worker's models dir` };
    if (target.inventory === undefined) return { ok: false, code: "INVALID_PARAMS", message: `model ${target.file_name} has an unreadable GGUF header` };
    pool.reload(target, drainDeadlineMs).catch((error: unknown) => log.error({ pool_id: poolId, err: error }, "reload failed"));
    return { ok: true, state: "draining" };
  };

  // The orchestrator takes at most MAX_MODELS_PER_NODE models from a node (the first ones by file name here).
  const reportedInventory = () => catalog.inventory().slice(0, MAX_MODELS_PER_NODE);
  const buildRegistration = (): RegisterNodeRequest => ({
    node_id: config.node_id,
    machine_id: config.machine_id,
    address: advertiseUrl,
    pools: pools.list().map((p) => p.id),
    capabilities: {
      gpus: gpus,
      cpu_cores: cpuCores,
      ram_total_bytes: totalmem(),
      backend: probe.ok ? probe.result.backend : "cpu",
    },
    version,
    models: reportedInventory(),
  });
  let gpus: RegisterNodeRequest["capabilities"]["gpus"] = [];

  const buildHeartbeat = (includeModels: boolean): HeartbeatRequest => ({
    timestamp: new Date().toISOString(),
    pools: pools.list().map((p) => p.snapshot()),
    ...(includeModels ? { models: reportedInventory() } : {}),
    telemetry: telemetry.latest(),
    ...(catalog.quarantined().length > 0 ? { quarantined: catalog.quarantined() } : {}),
  });

  return {
    async start() {
      await mkdir(config.data_dir, { recursive: true });
      await mkdir(config.runtime_dir, { recursive: true });
      telemetry.start();
      // A Linux host with no GPU device node and no Vulkan driver can only be the CPU: no child needed to say so.
      const cpuOnly = cpuOnlyProbeResult();
      const probing = (cpuOnly !== null ? Promise.resolve<ProbeOutcome>({ ok: true, result: cpuOnly }) : probeLlamaBackend()).then(async (outcome) => {
        probe = outcome;
        gpus = await detectGpus(outcome);
        if (outcome.ok) log.info({ backend: outcome.result.backend, gpus: gpus.map((g) => g.name), llama_cpp: outcome.result.llama_cpp_release, ...(cpuOnly !== null ? { probe: "not run: no GPU device node or Vulkan driver on this host" } : {}) }, "llama.cpp backend");
        else log.warn({ error: outcome.error }, "llama.cpp backend probe failed");
      });
      await inPlace.load();
      await catalog.start();
      if (config.pools !== undefined) {
        if (choiceAwaitsProbe(config, config.pools.filter((p) => p.engine === "node-llama-cpp").map((p) => p.device))) await probing;
        for (const definition of config.pools) {
          const pool = makePool(definition, "config");
          pools.add(pool);
          pool.start();
        }
      } else {
        // Auto pools size their slots by device, so they wait for the probe.
        await probing;
        await syncAutoPools();
      }
      catalog.on("quarantined", onQuarantined);
      catalog.on("changed", () => {
        for (const path of quarantinedPaths) if (catalog.list().some((m) => m.path === path)) quarantinedPaths.delete(path);
        for (const pool of pools.list()) if (pool instanceof LlamaPool) pool.retryIfModelAppeared();
        syncAutoPools().catch((error: unknown) => log.error({ err: error }, "auto pool sync failed"));
        registration?.notifyChange();
      });

      const host = bindHost(config.bind_addr);
      const port = Number(config.bind_addr.slice(config.bind_addr.lastIndexOf(":") + 1));
      const loopback = isLoopbackHost(host);
      const app = createWorkerApp({
        nodeId: config.node_id,
        version,
        token,
        allowedHosts: loopback ? (config.advertise_url !== undefined ? [new URL(config.advertise_url).hostname] : []) : undefined,
        pools,
        tasks,
        catalog,
        metrics,
        modelReceiver: new ModelReceiver(catalog, metrics, log.child({ component: "model-receive" }), busyParts),
        pulls,
        inPlace,
        grants: new GrantVerifier(token, config.node_id),
        reloadPool,
        log: log.child({ component: "http" }),
        tracing,
      });
      // No server-wide request timeout (model uploads are long): build-app bounds bodies instead.
      server = createLimitedServer(app, WORKER_SERVER_LIMITS, tls?.server);
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once("error", reject);
        listening.listen({ port, host: host.replace(/^\[|\]$/g, ""), backlog: WORKER_SERVER_LIMITS.listenBacklog }, () => resolve());
      });
      const bound = listening.address() as AddressInfo;
      const boundHost = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
      const address = `${scheme}://${boundHost}:${bound.port}`;
      // Serving HTTPS, the advertised address is https:// whatever the configured one says.
      const configured = config.advertise_url !== undefined ? config.advertise_url.replace(/^https?:/, `${scheme}:`).replace(/\/+$/, "") : undefined;
      advertiseUrl = configured ?? (host === "0.0.0.0" || host === "[::]" ? `${scheme}://${config.node_id}:${bound.port}` : address);
      log.info({ address, advertise_url: advertiseUrl }, "listening");

      handoff = new HandoffWatcher(config.runtime_dir, config.handoff_poll_ms, pools, metrics, log.child({ component: "handoff" }));
      await handoff.start();

      pools.on("changed", () => registration?.notifyChange());
      if (config.orchestrator_url !== undefined) {
        await probing;
        registration = new NodeRegistration({
          client: new OrchestratorClient(config.orchestrator_url, token, 5000, toOrchestrator),
          nodeId: config.node_id,
          buildRegistration,
          buildHeartbeat,
          inventorySignature: () => catalog.inventory().map((m) => m.sha256).sort().join(","),
          intervalMs: Math.round(config.heartbeat_interval_secs * 1000),
          maxBackoffMs: config.registration_max_backoff_ms,
          jitterMs: heartbeatJitterMs(process.env),
          metrics,
          log: log.child({ component: "registration" }),
          ...(onRegistrationRefused !== undefined ? { onRefused: onRegistrationRefused } : {}),
        });
        registration.start();
      }
      return { address };
    },

    async shutdown(reason) {
      if (shuttingDown) return;
      shuttingDown = true;
      log.info({ reason, drain_ms: config.shutdown_drain_ms }, "shutting down: draining pools");
      catalog.stop();
      telemetry.stop();
      handoff?.stop();
      await pulls.stopAll();
      await Promise.all(pools.list().map((p) => p.drain(config.shutdown_drain_ms)));
      registration?.notifyChange();
      await registration?.stopAndDeregister();
      await Promise.all(pools.list().map((p) => p.stop()));
      if (server !== undefined) {
        const closing = server;
        closing.closeAllConnections();
        await new Promise<void>((resolve) => closing.close(() => resolve()));
      }
      await tracing.shutdown();
      log.info("stopped");
    },
  };
}

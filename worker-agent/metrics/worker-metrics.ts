import { collectDefaultMetrics, type Counter, type Gauge, type Histogram, Registry } from "prom-client";
import type { HostTelemetry } from "../../src-shared/nodes/host-telemetry.js";
import { HOST_METRICS, WORKER_METRICS } from "../../src-shared/metrics/worker-metric-names.js";
import type { MetricDef } from "../../src-shared/metrics/metric-names.js";
import { metricCounter, metricGauge, metricHistogram } from "../../src-node/metric-factory.js";
import type { ServingPool } from "../pools/serving-pool.js";

// The worker's Prometheus metrics, one registry per agent instance. Names, help and labels come
// from src-shared/metrics/worker-metric-names.ts (docs/OBSERVABILITY.md is generated from it); every
// series carries node_id (CLOUD-7003). Latencies are milliseconds, like the spec's histograms.

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly tokensOut: Counter<"pool_id">;
  readonly tokensGenerated: Counter<"pool_id">;
  readonly inferRequests: Counter<"pool_id" | "outcome">;
  readonly engineRestarts: Counter<"pool_id" | "reason">;
  readonly firstTokenMs: Histogram<"pool_id">;
  readonly decodeMs: Histogram<"pool_id">;
  readonly inferDurationMs: Histogram<"pool_id">;
  readonly slotWaitMs: Histogram<"pool_id">;
  readonly handoffFilesProcessed: Counter<"pool_id" | "outcome">;
  readonly handoffProcessingMs: Histogram<"pool_id">;
  readonly registrations: Counter<"outcome">;
  readonly heartbeats: Counter<"outcome">;
  readonly modelsReceived: Counter<"outcome">;
  /** Staging: bytes pulled from peers and bytes served to them (node_id comes from the default labels). */
  readonly modelBytesReceived: Counter;
  readonly modelBytesServed: Counter;

  constructor(nodeId: string, version: string, pools: () => readonly ServingPool[], modelCount: () => number, telemetry?: () => HostTelemetry) {
    const registry = this.registry;
    registry.setDefaultLabels({ node_id: nodeId });
    collectDefaultMetrics({ register: registry, prefix: "llorch_worker_" });

    metricGauge(WORKER_METRICS.buildInfo, registry).set({ version }, 1);
    const poolGauge = (def: MetricDef, value: (p: ServingPool) => number): void => {
      metricGauge(def, registry, (g) => {
        g.reset();
        for (const pool of pools()) g.set({ pool_id: pool.id }, value(pool));
      });
    };
    poolGauge(WORKER_METRICS.poolReady, (p) => (p.status().ready ? 1 : 0));
    poolGauge(WORKER_METRICS.poolDraining, (p) => (p.status().draining ? 1 : 0));
    poolGauge(WORKER_METRICS.poolSlotsCapacity, (p) => p.status().slots_total);
    poolGauge(WORKER_METRICS.poolSlotsFree, (p) => p.status().slots_free);
    poolGauge(WORKER_METRICS.poolSlotsBusy, (p) => p.diagnostics().slots_busy);
    poolGauge(WORKER_METRICS.poolSlotQueueDepth, (p) => p.diagnostics().slots_waiting);
    poolGauge(WORKER_METRICS.poolVramFree, (p) => p.status().vram_free_bytes);
    poolGauge(WORKER_METRICS.poolCircuitOpen, (p) => (p.diagnostics().circuit === "open" ? 1 : 0));
    metricGauge(WORKER_METRICS.poolEngineInfo, registry, (g) => {
      g.reset();
      for (const pool of pools()) {
        const { engine, engine_version } = pool.status();
        // Only once an engine has loaded: before that there is no binary to name.
        if (engine_version !== "") g.set({ pool_id: pool.id, engine, engine_version }, 1);
      }
    });
    metricGauge(WORKER_METRICS.catalogModels, registry, (g) => g.set(modelCount()));
    if (telemetry !== undefined) registerHostGauges(registry, telemetry);

    this.tokensOut = metricCounter(WORKER_METRICS.tokensOut, registry);
    this.tokensGenerated = metricCounter(WORKER_METRICS.tokensGenerated, registry);
    this.inferRequests = metricCounter(WORKER_METRICS.inferRequests, registry);
    this.engineRestarts = metricCounter(WORKER_METRICS.engineRestarts, registry);
    this.firstTokenMs = metricHistogram(WORKER_METRICS.firstTokenMs, registry);
    this.decodeMs = metricHistogram(WORKER_METRICS.decodeMs, registry);
    this.inferDurationMs = metricHistogram(WORKER_METRICS.inferDurationMs, registry);
    this.slotWaitMs = metricHistogram(WORKER_METRICS.slotWaitMs, registry);
    this.handoffFilesProcessed = metricCounter(WORKER_METRICS.handoffFiles, registry);
    this.handoffProcessingMs = metricHistogram(WORKER_METRICS.handoffProcessingMs, registry);
    this.registrations = metricCounter(WORKER_METRICS.registrations, registry);
    this.heartbeats = metricCounter(WORKER_METRICS.heartbeats, registry);
    this.modelsReceived = metricCounter(WORKER_METRICS.modelsReceived, registry);
    this.modelBytesReceived = metricCounter(WORKER_METRICS.modelBytesReceived, registry);
    this.modelBytesServed = metricCounter(WORKER_METRICS.modelBytesServed, registry);
  }
}

/** llorch_host_* and llorch_gpu_* read the sampler's latest sample at scrape time. */
function registerHostGauges(registry: Registry, telemetry: () => HostTelemetry): void {
  const host = (def: MetricDef, value: (t: HostTelemetry) => number): Gauge => metricGauge(def, registry, (g) => g.set(value(telemetry())));
  host(HOST_METRICS.cpuUtilization, (t) => t.cpu_utilization_ratio);
  host(HOST_METRICS.cpus, (t) => t.cpus);
  host(HOST_METRICS.load1, (t) => t.load1);
  host(HOST_METRICS.memoryTotal, (t) => t.memory_total_bytes);
  host(HOST_METRICS.memoryAvailable, (t) => t.memory_available_bytes);
  host(HOST_METRICS.gpus, (t) => t.gpus.length);
  const gpu = (def: MetricDef, value: (g: HostTelemetry["gpus"][number]) => number | null): void => {
    metricGauge(def, registry, (g) => {
      g.reset();
      for (const device of telemetry().gpus) {
        const v = value(device);
        // Fields the driver does not report (MIG utilisation, old drivers' power) are left out, not 0.
        if (v !== null) g.set({ gpu: device.gpu, name: device.name }, v);
      }
    });
  };
  gpu(HOST_METRICS.gpuUtilization, (d) => d.utilization_ratio);
  gpu(HOST_METRICS.gpuMemoryTotal, (d) => d.memory_total_bytes);
  gpu(HOST_METRICS.gpuMemoryUsed, (d) => d.memory_used_bytes);
  gpu(HOST_METRICS.gpuTemperature, (d) => d.temperature_celsius);
  gpu(HOST_METRICS.gpuPower, (d) => d.power_watts);
  gpu(HOST_METRICS.gpuPowerLimit, (d) => d.power_limit_watts);
}

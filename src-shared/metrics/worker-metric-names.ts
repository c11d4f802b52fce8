import type { MetricDef } from "./metric-names.js";

// The worker agent's /metrics: names, help and labels. Every worker series also carries node_id
// (a default label of the worker's registry, CLOUD-7003), so it is not listed per metric.

/** Worker-side latency buckets in milliseconds (model loads and long decodes included). */
export const WORKER_LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000] as const;

const poolGauge = (name: string, help: string): MetricDef => ({ name, type: "gauge", help, labelNames: ["pool_id"] });
const poolHistogram = (name: string, help: string): MetricDef => ({ name, type: "histogram", help, labelNames: ["pool_id"], buckets: WORKER_LATENCY_BUCKETS_MS });

export const WORKER_METRICS = {
  buildInfo: { name: "llorch_worker_build_info", type: "gauge", help: "Worker agent build (always 1).", labelNames: ["version"] },
  poolReady: poolGauge("pool_ready", "1 when the pool is ready to serve."),
  poolDraining: poolGauge("pool_draining", "1 while the pool drains."),
  // Spec §10.2 called this pool_slots_total; _total is reserved for counters, so it is renamed.
  poolSlotsCapacity: poolGauge("pool_slots_capacity", "Slots (parallel sequences) of the pool."),
  poolSlotsFree: poolGauge("pool_slots_free", "Free slots of the pool."),
  poolSlotsBusy: poolGauge("pool_slots_busy", "Slots running a task."),
  poolSlotQueueDepth: poolGauge("pool_slot_queue_depth", "Tasks waiting for a free slot."),
  poolVramFree: poolGauge("pool_vram_free_bytes", "Free VRAM on the pool's device (0 on CPU)."),
  poolCircuitOpen: poolGauge("pool_circuit_open", "1 while the engine restart circuit breaker is open."),
  poolEngineInfo: { name: "pool_engine_info", type: "gauge", help: "The engine a loaded pool runs (always 1): engine name and engine_version, which for node-llama-cpp ends in \"native build\" or \"prebuilt\" (the llama.cpp binary it loaded).", labelNames: ["pool_id", "engine", "engine_version"] },
  catalogModels: { name: "worker_catalog_models", type: "gauge", help: "GGUF models in the local catalog.", labelNames: [] },
  tokensOut: { name: "pool_tokens_out_total", type: "counter", help: "Tokens streamed to clients.", labelNames: ["pool_id"] },
  tokensGenerated: { name: "pool_tokens_generated_total", type: "counter", help: "Tokens the engine produced (including any dropped after a cancel).", labelNames: ["pool_id"] },
  inferRequests: { name: "pool_infer_requests_total", type: "counter", help: "Infer tasks by outcome (ok, canceled, error, rejected).", labelNames: ["pool_id", "outcome"] },
  engineRestarts: { name: "pool_engine_restarts_total", type: "counter", help: "Engine child restarts by reason (crash, load_failed).", labelNames: ["pool_id", "reason"] },
  firstTokenMs: poolHistogram("pool_infer_first_token_ms", "Time from task start to its first token."),
  decodeMs: poolHistogram("pool_infer_decode_ms", "Time from first to last token."),
  inferDurationMs: poolHistogram("pool_infer_duration_ms", "Whole task duration, slot wait included."),
  slotWaitMs: poolHistogram("pool_slot_wait_ms", "Time a task waited for a free slot."),
  handoffFiles: { name: "pool_handoff_files_processed_total", type: "counter", help: "Handoff files processed (attached, updated, detached, invalid, conflict).", labelNames: ["pool_id", "outcome"] },
  handoffProcessingMs: poolHistogram("pool_handoff_processing_duration_ms", "Time to read and apply a handoff file."),
  registrations: { name: "worker_registrations_total", type: "counter", help: "Registration attempts by outcome.", labelNames: ["outcome"], knownLabels: { outcome: ["success", "error"] } },
  heartbeats: { name: "worker_heartbeats_total", type: "counter", help: "Heartbeats sent by outcome.", labelNames: ["outcome"], knownLabels: { outcome: ["success", "not_found", "unauthorized", "error"] } },
  modelsReceived: { name: "worker_models_received_total", type: "counter", help: "Model uploads and pulls by outcome.", labelNames: ["outcome"], knownLabels: { outcome: ["ok", "mismatch", "interrupted"] } },
  modelBytesReceived: { name: "worker_model_bytes_received_total", type: "counter", help: "Model bytes received for staging.", labelNames: [] },
  modelBytesServed: { name: "worker_model_bytes_served_total", type: "counter", help: "Model bytes served to peer workers for staging.", labelNames: [] },
} as const satisfies Record<string, MetricDef>;

/** Host and GPU telemetry sampled every few seconds (os module; nvidia-smi and rocm-smi where present). */
export const HOST_METRICS = {
  cpuUtilization: { name: "llorch_host_cpu_utilization_ratio", type: "gauge", help: "Share of CPU time not idle over the last sample interval, 0 to 1.", labelNames: [] },
  cpus: { name: "llorch_host_cpus", type: "gauge", help: "Logical CPUs of the host.", labelNames: [] },
  load1: { name: "llorch_host_load1", type: "gauge", help: "One-minute load average (0 on Windows).", labelNames: [] },
  memoryTotal: { name: "llorch_host_memory_total_bytes", type: "gauge", help: "Physical memory of the host in bytes.", labelNames: [] },
  memoryAvailable: { name: "llorch_host_memory_available_bytes", type: "gauge", help: "Memory available to new work in bytes (MemAvailable on Linux, free elsewhere).", labelNames: [] },
  gpus: { name: "llorch_gpus", type: "gauge", help: "GPUs (or MIG instances) the last sample saw; 0 without nvidia-smi or rocm-smi (and on Apple silicon).", labelNames: [] },
  gpuUtilization: { name: "llorch_gpu_utilization_ratio", type: "gauge", help: "GPU busy share over the driver's sample period, 0 to 1 (absent for MIG instances).", labelNames: ["gpu", "name"] },
  gpuMemoryTotal: { name: "llorch_gpu_memory_total_bytes", type: "gauge", help: "GPU memory in bytes.", labelNames: ["gpu", "name"] },
  gpuMemoryUsed: { name: "llorch_gpu_memory_used_bytes", type: "gauge", help: "GPU memory in use in bytes.", labelNames: ["gpu", "name"] },
  gpuTemperature: { name: "llorch_gpu_temperature_celsius", type: "gauge", help: "GPU core temperature in degrees Celsius.", labelNames: ["gpu", "name"] },
  gpuPower: { name: "llorch_gpu_power_watts", type: "gauge", help: "GPU power draw in watts.", labelNames: ["gpu", "name"] },
  gpuPowerLimit: { name: "llorch_gpu_power_limit_watts", type: "gauge", help: "GPU power limit in watts.", labelNames: ["gpu", "name"] },
} as const satisfies Record<string, MetricDef>;

/** Everything the worker's /metrics exports besides the llorch_worker_process_* defaults. */
export const WORKER_METRIC_DEFS: readonly MetricDef[] = [...Object.values(WORKER_METRICS), ...Object.values(HOST_METRICS)];

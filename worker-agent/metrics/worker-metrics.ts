import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { WORKER_METRICS } from "../../src-shared/metrics/metric-names.js";
import type { ServingPool } from "../pools/serving-pool.js";

// The worker's Prometheus metrics, one registry per agent instance. Names follow the original
// pool-managerd list (spec §10.2: pool_ready, pool_slots_*, pool_vram_*, pool_handoff_*), every
// series carries node_id (CLOUD-7003). Latencies are milliseconds, like the spec's histograms.

const LATENCY_MS_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000];

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

  constructor(nodeId: string, version: string, pools: () => readonly ServingPool[], modelCount: () => number) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node_id: nodeId });
    collectDefaultMetrics({ register: this.registry, prefix: "llorch_worker_" });

    new Gauge({ name: "llorch_worker_build_info", help: "Worker agent build (always 1).", labelNames: ["version"], registers }).set({ version }, 1);

    const poolGauge = (name: string, help: string, value: (p: ServingPool) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ["pool_id"],
        registers,
        collect() {
          this.reset();
          for (const pool of pools()) this.set({ pool_id: pool.id }, value(pool));
        },
      });
    };
    poolGauge("pool_ready", "1 when the pool is ready to serve.", (p) => (p.status().ready ? 1 : 0));
    poolGauge("pool_draining", "1 while the pool drains.", (p) => (p.status().draining ? 1 : 0));
    poolGauge("pool_slots_total", "Slots (parallel sequences) of the pool.", (p) => p.status().slots_total);
    poolGauge("pool_slots_free", "Free slots of the pool.", (p) => p.status().slots_free);
    poolGauge("pool_slots_busy", "Slots running a task.", (p) => p.diagnostics().slots_busy);
    poolGauge("pool_slot_queue_depth", "Tasks waiting for a free slot.", (p) => p.diagnostics().slots_waiting);
    poolGauge("pool_vram_free_bytes", "Free VRAM on the pool's device (0 on CPU).", (p) => p.status().vram_free_bytes);
    poolGauge("pool_circuit_open", "1 while the engine restart circuit breaker is open.", (p) => (p.diagnostics().circuit === "open" ? 1 : 0));
    new Gauge({
      name: "worker_models_total",
      help: "GGUF models in the local catalog.",
      registers,
      collect() {
        this.set(modelCount());
      },
    });

    this.tokensOut = new Counter({ name: "pool_tokens_out_total", help: "Tokens streamed to clients.", labelNames: ["pool_id"], registers });
    this.tokensGenerated = new Counter({
      name: "pool_tokens_generated_total",
      help: "Tokens the engine produced (including any dropped after a cancel).",
      labelNames: ["pool_id"],
      registers,
    });
    this.inferRequests = new Counter({
      name: "pool_infer_requests_total",
      help: "Infer tasks by outcome (ok, canceled, error, rejected).",
      labelNames: ["pool_id", "outcome"],
      registers,
    });
    this.engineRestarts = new Counter({
      name: "pool_engine_restarts_total",
      help: "Engine child restarts by reason (crash, load_failed).",
      labelNames: ["pool_id", "reason"],
      registers,
    });
    const histogram = (name: string, help: string): Histogram<"pool_id"> =>
      new Histogram({ name, help, labelNames: ["pool_id"], buckets: LATENCY_MS_BUCKETS, registers });
    this.firstTokenMs = histogram("pool_infer_first_token_ms", "Time from task start to its first token.");
    this.decodeMs = histogram("pool_infer_decode_ms", "Time from first to last token.");
    this.inferDurationMs = histogram("pool_infer_duration_ms", "Whole task duration, slot wait included.");
    this.slotWaitMs = histogram("pool_slot_wait_ms", "Time a task waited for a free slot.");
    this.handoffFilesProcessed = new Counter({
      name: "pool_handoff_files_processed_total",
      help: "Handoff files processed (attached, updated, detached, invalid).",
      labelNames: ["pool_id", "outcome"],
      registers,
    });
    this.handoffProcessingMs = histogram("pool_handoff_processing_duration_ms", "Time to read and apply a handoff file.");
    this.registrations = new Counter({ name: "worker_registrations_total", help: "Registration attempts by outcome.", labelNames: ["outcome"], registers });
    this.heartbeats = new Counter({ name: "worker_heartbeats_total", help: "Heartbeats sent by outcome.", labelNames: ["outcome"], registers });
    this.modelsReceived = new Counter({ name: "worker_models_received_total", help: "Model uploads by outcome.", labelNames: ["outcome"], registers });
    this.modelBytesReceived = new Counter({ name: WORKER_METRICS.modelBytesReceived.name, help: WORKER_METRICS.modelBytesReceived.help, registers });
    this.modelBytesServed = new Counter({ name: WORKER_METRICS.modelBytesServed.name, help: WORKER_METRICS.modelBytesServed.help, registers });
  }
}

// Prometheus metric names, help texts and label names shared by the orchestrator, the worker, the
// Grafana dashboard and the alert rules. Names keep the original spec's (ms units included) for
// parity; the seven orchd_* cloud metrics are exact.

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Histogram buckets, in the metric's unit. */
  readonly buckets?: readonly number[];
}

/** Spec §10.1 recommended buckets. */
export const FIRST_TOKEN_BUCKETS_MS = [50, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000] as const;
export const DECODE_BUCKETS_MS = [250, 500, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12000] as const;
export const HEALTH_CHECK_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500] as const;

/** The seven cloud-profile metrics of the original orchestratord (spec §10.2), names exact. */
export const CLOUD_METRICS = {
  nodeRegistrations: { name: "orchd_node_registrations_total", type: "counter", help: "Node registration attempts by outcome.", labelNames: ["outcome"] },
  nodeHeartbeats: { name: "orchd_node_heartbeats_total", type: "counter", help: "Node heartbeats received by node and outcome.", labelNames: ["node_id", "outcome"] },
  nodeDeregistrations: { name: "orchd_node_deregistrations_total", type: "counter", help: "Node deregistrations by outcome.", labelNames: ["outcome"] },
  poolHealthChecks: { name: "orchd_pool_health_checks_total", type: "counter", help: "Orchestrator probes of worker pool status endpoints by outcome.", labelNames: ["pool_id", "outcome"] },
  nodesOnline: { name: "orchd_nodes_online", type: "gauge", help: "Nodes currently online.", labelNames: [] },
  poolsAvailable: { name: "orchd_pools_available", type: "gauge", help: "1 when the pool is ready, not draining and on an online node, else 0.", labelNames: ["pool_id"] },
  poolHealthCheckDuration: { name: "orchd_pool_health_check_duration_ms", type: "histogram", help: "Duration of pool status probes in milliseconds.", labelNames: ["pool_id"], buckets: HEALTH_CHECK_BUCKETS_MS },
} as const satisfies Record<string, MetricDef>;

/** Core task metrics (spec §10.1). */
export const TASK_METRICS = {
  queueDepth: { name: "queue_depth", type: "gauge", help: "Tasks waiting in the admission queue.", labelNames: ["priority"] },
  tasksEnqueued: { name: "tasks_enqueued_total", type: "counter", help: "Tasks accepted into the queue.", labelNames: ["priority"] },
  tasksStarted: { name: "tasks_started_total", type: "counter", help: "Tasks dispatched to a pool that produced a started event.", labelNames: ["engine", "pool_id", "priority"] },
  tasksCanceled: { name: "tasks_canceled_total", type: "counter", help: "Tasks canceled by reason (client, disconnect, drain).", labelNames: ["reason"] },
  tasksRejected: { name: "tasks_rejected_total", type: "counter", help: "Tasks refused at admission or dropped from the queue, by error code.", labelNames: ["reason"] },
  tasksCompleted: { name: "tasks_completed_total", type: "counter", help: "Tasks that reached a terminal state, by outcome (completed, failed, canceled).", labelNames: ["outcome"] },
  latencyFirstToken: { name: "latency_first_token_ms", type: "histogram", help: "Time from admission to the first token, in milliseconds.", labelNames: ["pool_id", "priority"], buckets: FIRST_TOKEN_BUCKETS_MS },
  latencyDecode: { name: "latency_decode_ms", type: "histogram", help: "Time from first token to end of decode, in milliseconds.", labelNames: ["pool_id", "priority"], buckets: DECODE_BUCKETS_MS },
  tokensIn: { name: "tokens_in_total", type: "counter", help: "Prompt tokens processed.", labelNames: ["pool_id"] },
  tokensOut: { name: "tokens_out_total", type: "counter", help: "Tokens generated.", labelNames: ["pool_id"] },
  admissionBackpressure: { name: "admission_backpressure_events_total", type: "counter", help: "Full-queue policy applications.", labelNames: ["policy"] },
  placementDecisions: { name: "placement_decisions_total", type: "counter", help: "Placement decisions by outcome (assigned, no_capacity), pinning and fallback.", labelNames: ["outcome", "pinned", "fallback"] },
  placementCandidates: { name: "placement_candidates_considered", type: "gauge", help: "Candidates considered by the most recent placement decision.", labelNames: [] },
  sseBackpressureDrops: { name: "sse_backpressure_drops_total", type: "counter", help: "SSE metrics frames dropped under backpressure (tokens are never dropped).", labelNames: [] },
} as const satisfies Record<string, MetricDef>;

/** Staging jobs driven by the orchestrator (model copies between nodes). */
export const VERIFY_BUCKETS_MS = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] as const;

export const STAGING_METRICS = {
  stagingBytes: { name: "orchd_staging_bytes_total", type: "counter", help: "Model bytes transferred to target nodes by staging jobs.", labelNames: ["node_id"] },
  stagingJobs: { name: "orchd_staging_jobs", type: "gauge", help: "Staging jobs by state (queued, transferring, verifying, retrying, completed, failed, canceled).", labelNames: ["state"] },
  stagingFailures: { name: "orchd_staging_failures_total", type: "counter", help: "Failed staging attempts (and failed jobs) by reason.", labelNames: ["reason"] },
  stagingVerifyDuration: { name: "orchd_staging_verify_duration_ms", type: "histogram", help: "Time the target took to verify the sha256 of a staged file, in milliseconds.", labelNames: [], buckets: VERIFY_BUCKETS_MS },
} as const satisfies Record<string, MetricDef>;

/** Worker agent metrics; every one carries node_id (CLOUD-7003). */
export const WORKER_METRICS = {
  poolReady: { name: "pool_ready", type: "gauge", help: "1 when the pool is ready to serve, else 0.", labelNames: ["node_id", "pool_id"] },
  // Spec §10.2 called this pool_slots_total; _total is reserved for counters, so it is renamed.
  poolSlotsCapacity: { name: "pool_slots_capacity", type: "gauge", help: "Concurrent sequences the pool can serve (slots_total).", labelNames: ["node_id", "pool_id"] },
  poolSlotsFree: { name: "pool_slots_free", type: "gauge", help: "Free sequence slots in the pool.", labelNames: ["node_id", "pool_id"] },
  poolVramTotal: { name: "pool_vram_total_bytes", type: "gauge", help: "VRAM of the pool's devices in bytes.", labelNames: ["node_id", "pool_id"] },
  poolVramFree: { name: "pool_vram_free_bytes", type: "gauge", help: "Free VRAM of the pool's devices in bytes.", labelNames: ["node_id", "pool_id"] },
  engineRestarts: { name: "engine_restarts_total", type: "counter", help: "Engine restarts by crash class.", labelNames: ["node_id", "pool_id", "reason"] },
  inferRequests: { name: "worker_infer_requests_total", type: "counter", help: "Inference requests served by outcome (completed, canceled, error).", labelNames: ["node_id", "pool_id", "outcome"] },
  inferFirstToken: { name: "worker_infer_first_token_ms", type: "histogram", help: "Worker-side time to first token in milliseconds.", labelNames: ["node_id", "pool_id"], buckets: FIRST_TOKEN_BUCKETS_MS },
  inferDecode: { name: "worker_infer_decode_ms", type: "histogram", help: "Worker-side decode time in milliseconds.", labelNames: ["node_id", "pool_id"], buckets: DECODE_BUCKETS_MS },
  tokensOut: { name: "worker_tokens_out_total", type: "counter", help: "Tokens generated on this worker.", labelNames: ["node_id", "pool_id"] },
  modelBytesReceived: { name: "worker_model_bytes_received_total", type: "counter", help: "Model bytes received for staging.", labelNames: ["node_id"] },
  modelBytesServed: { name: "worker_model_bytes_served_total", type: "counter", help: "Model bytes served to peer workers for staging.", labelNames: ["node_id"] },
  heartbeatsSent: { name: "worker_heartbeats_sent_total", type: "counter", help: "Heartbeats sent to the orchestrator by outcome.", labelNames: ["node_id", "outcome"] },
} as const satisfies Record<string, MetricDef>;

/** Build info gauge (value 1), on both processes. */
export const BUILD_INFO_METRIC = {
  name: "llama_orch_build_info",
  type: "gauge",
  help: "Build information; value is always 1.",
  labelNames: ["version", "commit", "component"],
} as const satisfies MetricDef;

export const ALL_METRICS: readonly MetricDef[] = [
  ...Object.values(CLOUD_METRICS),
  ...Object.values(TASK_METRICS),
  ...Object.values(STAGING_METRICS),
  ...Object.values(WORKER_METRICS),
  BUILD_INFO_METRIC,
];

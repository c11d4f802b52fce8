// Prometheus metric names, help texts and label names shared by the orchestrator, the worker, the
// Grafana dashboard and the alert rules. Names keep the original spec's (ms units included) for
// parity; the seven orchd_* cloud metrics are exact.

import { StagingFailureReasonSchema, StagingJobStateSchema } from "../staging/staging-job.js";
import { WORKER_METRIC_DEFS } from "./worker-metric-names.js";

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Histogram buckets, in the metric's unit. */
  readonly buckets?: readonly number[];
  /**
   * Label values known in advance: every combination is exported at 0 from start-up, so rate() and
   * alerts see a series before the first event (Prometheus instrumentation guide). Labels missing
   * here (node_id, pool_id) get their series when the node or pool appears.
   */
  readonly knownLabels?: Readonly<Record<string, readonly string[]>>;
}

const OUTCOME_SUCCESS_ERROR = { outcome: ["success", "error"] } as const;
const PRIORITIES = ["interactive", "batch"] as const;

/** Spec §10.1 recommended buckets. */
export const FIRST_TOKEN_BUCKETS_MS = [50, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000] as const;
export const DECODE_BUCKETS_MS = [250, 500, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12000] as const;
export const HEALTH_CHECK_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500] as const;

/** The seven cloud-profile metrics of the original orchestratord (spec §10.2), names exact. */
export const CLOUD_METRICS = {
  nodeRegistrations: { name: "orchd_node_registrations_total", type: "counter", help: "Node registration attempts by outcome; rate_limited: a known node id re-registering faster than node_register_max_per_min (answered 429, not processed).", labelNames: ["outcome"], knownLabels: { outcome: ["success", "error", "rate_limited"] } },
  nodeHeartbeats: { name: "orchd_node_heartbeats_total", type: "counter", help: "Node heartbeats received by node and outcome; heartbeats for ids nobody registered count under node_id \"(unregistered)\"; rate_limited: beats past heartbeat_node_max_per_interval (answered 429, not processed).", labelNames: ["node_id", "outcome"] },
  nodeDeregistrations: { name: "orchd_node_deregistrations_total", type: "counter", help: "Node deregistrations by outcome.", labelNames: ["outcome"], knownLabels: OUTCOME_SUCCESS_ERROR },
  poolHealthChecks: { name: "orchd_pool_health_checks_total", type: "counter", help: "Orchestrator probes of worker pool status endpoints by outcome.", labelNames: ["pool_id", "outcome"] },
  nodesOnline: { name: "orchd_nodes_online", type: "gauge", help: "Nodes currently online.", labelNames: [] },
  poolsAvailable: { name: "orchd_pools_available", type: "gauge", help: "1 when the pool is ready, not draining and on an online node, else 0.", labelNames: ["pool_id"] },
  poolHealthCheckDuration: { name: "orchd_pool_health_check_duration_ms", type: "histogram", help: "Duration of pool status probes in milliseconds.", labelNames: ["pool_id"], buckets: HEALTH_CHECK_BUCKETS_MS },
} as const satisfies Record<string, MetricDef>;

/** Core task metrics (spec §10.1). */
export const TASK_METRICS = {
  queueDepth: { name: "queue_depth", type: "gauge", help: "Tasks waiting in the admission queue.", labelNames: ["priority"], knownLabels: { priority: PRIORITIES } },
  // Depth alone cannot say "nearly full": the QueueSaturation alert divides sum(queue_depth) by this.
  admissionCapacity: { name: "orchd_admission_capacity", type: "gauge", help: "Tasks the admission queue holds (both priorities) before the full policy applies (setting admission_capacity).", labelNames: [] },
  // How many API keys share the queue right now (per-key depth is in GET /v2/stats: a key id is no label).
  queueIdentities: { name: "orchd_queue_identities", type: "gauge", help: "Identities (API keys; the operator's own token counts as one) with at least one queued task: the queue is dispatched round robin across them.", labelNames: [] },
  tasksEnqueued: { name: "tasks_enqueued_total", type: "counter", help: "Tasks accepted into the queue.", labelNames: ["priority"], knownLabels: { priority: PRIORITIES } },
  tasksStarted: { name: "tasks_started_total", type: "counter", help: "Tasks dispatched to a pool that produced a started event.", labelNames: ["engine", "pool_id", "priority"] },
  tasksCanceled: { name: "tasks_canceled_total", type: "counter", help: "Tasks canceled by reason (client, disconnect, operator).", labelNames: ["reason"], knownLabels: { reason: ["client", "disconnect", "operator"] } },
  tasksRejected: {
    name: "tasks_rejected_total", type: "counter", help: "Tasks refused at admission or dropped from the queue, by error code.", labelNames: ["reason"],
    knownLabels: { reason: ["ADMISSION_REJECT", "ADMISSION_KEY_LIMIT", "QUEUE_FULL_DROP_LRU", "MODEL_NOT_AVAILABLE", "POOL_UNREADY", "POOL_UNAVAILABLE", "NODE_UNAVAILABLE", "REPLICA_EXHAUSTED", "INVALID_PARAMS", "KEY_RATE_LIMITED", "KEY_QUOTA_EXCEEDED"] },
  },
  tasksCompleted: { name: "tasks_completed_total", type: "counter", help: "Tasks that reached a terminal state, by outcome (completed, failed, canceled).", labelNames: ["outcome"], knownLabels: { outcome: ["completed", "failed", "canceled"] } },
  latencyFirstToken: { name: "latency_first_token_ms", type: "histogram", help: "Time from admission to the first token, in milliseconds.", labelNames: ["pool_id", "priority"], buckets: FIRST_TOKEN_BUCKETS_MS },
  latencyDecode: { name: "latency_decode_ms", type: "histogram", help: "Time from first token to end of decode, in milliseconds.", labelNames: ["pool_id", "priority"], buckets: DECODE_BUCKETS_MS },
  tokensIn: { name: "tokens_in_total", type: "counter", help: "Prompt tokens processed.", labelNames: ["pool_id"] },
  tokensOut: { name: "tokens_out_total", type: "counter", help: "Tokens generated.", labelNames: ["pool_id"] },
  admissionBackpressure: { name: "admission_backpressure_events_total", type: "counter", help: "Full-queue policy applications.", labelNames: ["policy"], knownLabels: { policy: ["reject", "drop-lru"] } },
  placementDecisions: {
    name: "placement_decisions_total", type: "counter", help: "Placement decisions by outcome (assigned, no_capacity), pinning and fallback.", labelNames: ["outcome", "pinned", "fallback"],
    knownLabels: { outcome: ["assigned", "no_capacity"], pinned: ["true", "false"], fallback: ["true", "false"] },
  },
  placementCandidates: { name: "placement_candidates_considered", type: "gauge", help: "Candidates considered by the most recent placement decision.", labelNames: [] },
  tasksReplaced: { name: "tasks_replaced_total", type: "counter", help: "Tasks re-placed on another node after a failure before the first token.", labelNames: [] },
  tasksRescued: { name: "tasks_rescued_total", type: "counter", help: "Tasks started over after their worker failed: the partial output, which no client had received, was discarded and the task placed again (rescue_attempts).", labelNames: [] },
} as const satisfies Record<string, MetricDef>;

/** Staging jobs driven by the orchestrator (model copies between nodes). */
export const VERIFY_BUCKETS_MS = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] as const;

export const STAGING_METRICS = {
  stagingBytes: { name: "orchd_staging_bytes_total", type: "counter", help: "Model bytes transferred to target nodes by staging jobs.", labelNames: ["node_id"] },
  stagingJobs: {
    name: "orchd_staging_jobs", type: "gauge", help: "Staging jobs by state (queued, transferring, verifying, retrying, completed, failed, canceled).", labelNames: ["state"],
    knownLabels: { state: StagingJobStateSchema.options },
  },
  stagingFailures: { name: "orchd_staging_failures_total", type: "counter", help: "Failed staging attempts (and failed jobs) by reason.", labelNames: ["reason"], knownLabels: { reason: StagingFailureReasonSchema.options } },
  stagingVerifyDuration: { name: "orchd_staging_verify_duration_ms", type: "histogram", help: "Time the target took to verify the sha256 of a staged file, in milliseconds.", labelNames: [], buckets: VERIFY_BUCKETS_MS },
} as const satisfies Record<string, MetricDef>;

/** Node and pool control beyond the seven cloud metrics. */
export const CONTROL_METRICS = {
  // Status and eligibility are separate (Nomad): a drained node is still Online, so it is counted by both.
  nodes: { name: "orchd_nodes", type: "gauge", help: "Known nodes by status (Registering, Online, Suspect, Offline) and scheduling eligibility.", labelNames: ["status", "eligibility"] },
  poolEjections: { name: "orchd_pool_ejections_total", type: "counter", help: "Pools ejected from placement for failing tasks before their first token (outlier_consecutive_failures in a row, or a failed trial task after an ejection).", labelNames: ["pool_id"] },
  poolReconcileCommands: {
    name: "orchd_pool_reconcile_commands_total", type: "counter", help: "Commands sent to workers to reach a pool's desired state, by command (drain, reload, resume) and outcome (accepted, refused, unreachable).",
    labelNames: ["command", "outcome"], knownLabels: { command: ["drain", "reload", "resume"], outcome: ["accepted", "refused", "unreachable"] },
  },
} as const satisfies Record<string, MetricDef>;

/** Buckets for a SQLite WAL checkpoint (copy into the database file + fsync), in milliseconds. */
export const CHECKPOINT_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000] as const;

/** The orchestrator's SQLite database: WAL checkpoints, run by a thread off the event loop (docs/OPERATIONS.md). */
export const DATABASE_METRICS = {
  checkpointDuration: {
    name: "orchd_db_checkpoint_duration_ms", type: "histogram", help: "WAL checkpoints run by the checkpoint thread, by mode (passive, restart), in milliseconds.", labelNames: ["mode"],
    buckets: CHECKPOINT_BUCKETS_MS, knownLabels: { mode: ["passive", "restart"] },
  },
  checkpointFrames: {
    name: "orchd_db_checkpoint_frames_total", type: "counter", help: "WAL frames the checkpoint thread copied into the database file, by mode (passive, restart).", labelNames: ["mode"],
    knownLabels: { mode: ["passive", "restart"] },
  },
  walFrames: { name: "orchd_db_wal_frames", type: "gauge", help: "Frames in the WAL at the checkpoint thread's last checkpoint.", labelNames: [] },
  checkpointThread: {
    name: "orchd_db_checkpoint_thread", type: "gauge", labelNames: [],
    help: "1 while the checkpoint thread checkpoints the WAL; 0 while the main connection's commits do (wal_autocheckpoint: the thread could not start or died).",
  },
} as const satisfies Record<string, MetricDef>;

/** Build info gauge (value 1), on both processes. */
export const BUILD_INFO_METRIC = {
  name: "llama_orch_build_info",
  type: "gauge",
  help: "Build information; value is always 1.",
  labelNames: ["version", "commit", "component"],
} as const satisfies MetricDef;

/** Everything the orchestrator's /metrics exports besides the orchd_process_* defaults. */
export const ORCHESTRATOR_METRIC_DEFS: readonly MetricDef[] = [
  ...Object.values(CLOUD_METRICS),
  ...Object.values(CONTROL_METRICS),
  ...Object.values(TASK_METRICS),
  ...Object.values(STAGING_METRICS),
  ...Object.values(DATABASE_METRICS),
  BUILD_INFO_METRIC,
];

/** Both processes' metrics: the table docs/OBSERVABILITY.md is generated from. */
export const ALL_METRICS: readonly MetricDef[] = [...ORCHESTRATOR_METRIC_DEFS, ...WORKER_METRIC_DEFS];

import { z } from "zod";
import { PlacementStrategySchema } from "../tasks/placement.js";
import { HostPortSchema } from "./host-port.js";
import { LogLevelSchema } from "./log-level.js";
import { otelConfigFields } from "./otel-config.js";

export { PlacementStrategySchema, type PlacementStrategy } from "../tasks/placement.js";
export { LogLevelSchema, type LogLevel } from "./log-level.js";

export const AdmissionPolicySchema = z.enum(["reject", "drop-lru"]);
export type AdmissionPolicy = z.infer<typeof AdmissionPolicySchema>;
export const ShutdownQueuedTasksSchema = z.enum(["keep", "fail"]);
export type ShutdownQueuedTasks = z.infer<typeof ShutdownQueuedTasksSchema>;

/** Bearer tokens must carry at least 32 characters (DESIGN.md §4). */
export const ApiTokenSchema = z.string().min(32, "tokens need at least 32 characters (e.g. `openssl rand -hex 32`)").max(512)
  .regex(/^[\x21-\x7e]+$/, "tokens are printable ASCII without spaces");

/**
 * The orchestrator's configuration. Each key documents the environment variable that sets it;
 * precedence is env > config file > defaults (src-main/orchestrator/config/load-config.ts), and
 * docs/CONFIGURATION.md is generated from this schema.
 */
export const OrchestratorConfigSchema = z.strictObject({
  bind_addr: HostPortSchema.default("127.0.0.1:8080").describe("ORCHESTRATORD_BIND_ADDR — listen address host:port"),
  cloud_profile: z.boolean().default(false).describe("ORCHESTRATORD_CLOUD_PROFILE — multi-node profile (informational; the node registry is always on)"),
  api_tokens: z.array(ApiTokenSchema).default([]).describe("LLORCH_API_TOKEN(S) — accepted bearer tokens (≥ 32 characters); LLORCH_API_TOKENS is a comma list, for zero-downtime rotation"),
  data_dir: z.string().min(1).describe("LLORCH_DATA_DIR — database, generated token, logs (default: the platform app-data dir)"),
  log_level: LogLevelSchema.default("info").describe("LLORCH_LOG_LEVEL — pino log level"),
  placement_strategy: PlacementStrategySchema.default("least-loaded").describe("ORCHESTRATORD_PLACEMENT_STRATEGY — least-loaded | round-robin | random"),
  placement_seed: z.int().default(1).describe("ORCHESTRATORD_PLACEMENT_SEED — seed of the random strategy"),
  admission_capacity: z.int().min(1).max(100_000).default(100).describe("ORCHD_ADMISSION_CAPACITY — queued tasks (both priorities) before the full policy applies"),
  admission_policy: AdmissionPolicySchema.default("reject").describe("ORCHD_ADMISSION_POLICY — reject | drop-lru"),
  admission_max_queued_per_key: z.int().min(1).max(100_000).optional().describe("ORCHD_ADMISSION_MAX_QUEUED_PER_KEY — tasks one API key may have queued at once (both priorities): past it that key gets 429 ADMISSION_KEY_LIMIT (Retry-After) while other keys are still admitted, whatever the full policy. Unset: half of admission_capacity (rounded up), so one client can never fill a shared queue and lock every other key out; set it to admission_capacity to turn the cap off. The operator's own token (and dashboard sessions) is not limited, so a single-user setup never meets it. The dispatch order is fair across keys whatever this is: round robin within each priority"),
  retry_after_ms: z.int().min(0).default(1000).describe("ORCHD_RETRY_AFTER_MS — back-off advised on 429 and retriable 503"),
  heartbeat_interval_ms: z.int().min(100).max(60_000).default(1000).describe("ORCHESTRATORD_HEARTBEAT_INTERVAL_MS — base interval told to agents in every register/heartbeat reply"),
  heartbeat_max_per_s: z.int().min(1).default(250).describe("ORCHESTRATORD_HEARTBEAT_MAX_PER_S — heartbeats per second the whole cluster may send: past it the interval told to agents grows with the node count, up to 0.8 × node_timeout_ms for a node whose /v2/watch keep-alives carry its liveness, 0.4 × for one without (default: 1 s up to 250 nodes, 4 s at 1,000)"),
  heartbeat_node_max_per_interval: z.int().min(0).max(1000).default(10).describe("ORCHESTRATORD_HEARTBEAT_NODE_MAX_PER_INTERVAL — heartbeats one node may send per interval told to it (and at most this many at once): past it a heartbeat is answered 429 NODE_RATE_LIMITED with Retry-After before its body is read, and not processed, so one node beating in a loop costs the orchestrator little and never the other nodes (0 = no per-node limit)"),
  node_register_max_per_min: z.int().min(0).max(100_000).default(30).describe("ORCHD_NODE_REGISTER_MAX_PER_MIN — registrations of one known node id per minute (and at most this many at once): past it re-registering is answered 429 NODE_RATE_LIMITED and not processed (each one writes the database, records a node event and probes the address), so an agent re-registering in a loop, or changing its address every beat, cannot fill the node history (0 = no limit)"),
  node_suspect_ms: z.int().min(200).default(2500).describe("ORCHESTRATORD_NODE_SUSPECT_MS — heartbeat silence after which a node is Suspect (unschedulable)"),
  node_timeout_ms: z.int().min(500).default(5000).describe("ORCHESTRATORD_NODE_TIMEOUT_MS — heartbeat silence after which a node is Offline; also how long after a restart (and after each known worker that re-registers since) a request for a model no node holds yet waits for the workers to re-register (then 503)"),
  worker_stream_idle_ms: z.int().min(2000).default(5000).describe("ORCHESTRATORD_WORKER_STREAM_IDLE_MS — silence on a worker's task stream (workers send a keep-alive every second) after which the attempt fails as WORKER_RESET, is re-placed if no token was sent, and the node becomes Suspect; also the silence after which the orchestrator's own GET /v2/watch connection to a worker fails (node Suspect once, reconnect with backoff, heartbeats decide the status)"),
  worker_first_token_timeout_ms: z.int().min(0).max(3_600_000).default(300_000).describe("ORCHESTRATORD_WORKER_FIRST_TOKEN_TIMEOUT_MS — how long after a worker accepted a task it may send only keep-alives (no token, no answer): past it the attempt fails as WORKER_RESET and is re-placed on another node (nothing reached the client yet). A worker that accepts tasks and never serves them (a hung engine, a node reporting capacity it does not have) held each task for good; long enough for a long prompt's prefill on a slow node (0 = no bound)"),
  outlier_consecutive_failures: z.int().min(0).max(1000).default(3).describe("ORCHD_OUTLIER_CONSECUTIVE_FAILURES — failures before the first token in a row (an error answer, a cut connection, keep-alives only until worker_first_token_timeout_ms; not a busy refusal: 429 or REPLICA_EXHAUSTED) after which a pool is ejected from placement for a while (passive outlier detection, Envoy's outlier ejection); a first token resets the count. Never the last pool that could serve a model: that one keeps getting tasks (0 = off)"),
  outlier_ejection_base_ms: z.int().min(100).max(3_600_000).default(10_000).describe("ORCHD_OUTLIER_EJECTION_BASE_MS — how long an ejected pool gets no tasks, times the number of times it was ejected recently (a pool ejected again within outlier_ejection_max_ms of its last ejection ending stays out longer); when it ends, one task tries the pool: a failure before its first token ejects it again at once"),
  outlier_ejection_max_ms: z.int().min(100).max(86_400_000).default(300_000).describe("ORCHD_OUTLIER_EJECTION_MAX_MS — the longest one ejection lasts; also how long a pool must go without being ejected for its ejection count to start over"),
  rescue_attempts: z.int().min(0).max(5).default(1).describe("ORCHD_RESCUE_ATTEMPTS — times a task whose worker failed after it had produced tokens, none of which reached a client yet (a non-streamed answer, or a /v2 task nobody streams), is started over: the partial output is discarded and the task placed again (another holder of the model, or the same one once it is back, within the task's deadline). A task whose tokens a client already received ends with one error instead. 0 turns rescues off; the bound keeps a prompt that crashes every engine from looping"),
  watch_heartbeat_ms: z.int().min(100).max(60_000).default(10_000).describe("ORCHESTRATORD_WATCH_HEARTBEAT_MS — keep-alive comment interval on long-lived streams (GET /v2/events, task event streams, compatible SSE streams); each one also checks the peer is still acknowledging"),
  watch_dead_peer_ms: z.int().min(1000).default(30_000).describe("ORCHESTRATORD_WATCH_DEAD_PEER_MS — a stream with bytes outstanding and none acknowledged by its client for this long (a client that vanished or stopped reading) is closed; detection takes up to this plus two heartbeats"),
  pool_probe_interval_ms: z.int().min(0).default(10_000).describe("ORCHESTRATORD_POOL_PROBE_INTERVAL_MS — pool health probe period (0 disables periodic probes); stretched for large clusters by pool_probe_max_per_s"),
  pool_probe_max_per_s: z.int().min(1).default(20).describe("ORCHESTRATORD_POOL_PROBE_MAX_PER_S — pool probes per second across the cluster: past it each pool's probe period grows with the pool count (probes measure reachability; node state comes from heartbeats and the watch connection)"),
  max_nodes: z.int().min(1).max(1_000_000).default(10_000).describe("ORCHD_MAX_NODES — node ids the registry holds at most (Offline ones included, until deregistered or forgotten): a registration of a new id past it is 409 CONFLICT / node_registry_full"),
  max_nodes_per_key: z.int().min(1).max(1_000_000).default(4096).describe("ORCHD_MAX_NODES_PER_KEY — node ids one API key (a `worker` key not from a join) may have registered at once: past it a new id is 409 CONFLICT / node_limit_per_key, so a stolen key cannot fill the registry (the default leaves a fleet of a few thousand workers sharing one key room, and the registry room for others) (the operator's own token is not limited; a key from a join token is bound to one id)"),
  session_ttl_ms: z.int().min(1000).default(600_000).describe("ORCHD_SESSION_TTL_MS — idle session lifetime"),
  session_max_turns: z.int().min(1).default(64).describe("ORCHD_SESSION_MAX_TURNS — tasks accepted per session"),
  session_token_budget: z.int().min(0).default(0).describe("ORCHD_SESSION_TOKEN_BUDGET — tokens per session (0 = unlimited)"),
  metrics_public: z.boolean().default(false).describe("ORCHD_METRICS_PUBLIC — serve /metrics without a token"),
  allowed_origins: z.array(z.string().url()).default([]).describe("ORCHD_ALLOWED_ORIGINS — extra browser origins allowed to call the API (comma list)"),
  cors_allow_localhost: z.boolean().default(false).describe("ORCHD_CORS_ALLOW_LOCALHOST — also allow browser apps served from http://localhost:*, http://127.0.0.1:* and http://[::1]:* (any port) to call the API cross-origin, with a bearer token only (the dashboard cookie never authorises a cross-origin request); off by default, since any local process could then serve such a page"),
  dashboard_dir: z.string().optional().describe("ORCHD_DASHBOARD_DIR — built dashboard to serve at / (default: dist/renderer beside the code)"),
  shutdown_grace_ms: z.int().min(0).default(10_000).describe("ORCHD_SHUTDOWN_GRACE_MS — how long in-flight tasks may finish on SIGTERM"),
  shutdown_queued_tasks: ShutdownQueuedTasksSchema.default("keep").describe("ORCHD_SHUTDOWN_QUEUED_TASKS — what a graceful stop (SIGTERM, Ctrl-C, quitting the app) does with queued tasks: keep (a /v2 task or a request with an Idempotency-Key stays queued in the journal and runs after the next start, as after a crash; a compatible surface's request without one still gets a retriable 503) | fail (every queued task ends now with a retriable 503 POOL_UNAVAILABLE: for taking an orchestrator out of service)"),
  hub_base_url: z.url({ protocol: /^https?$/ }).default("https://huggingface.co").describe("LLORCH_HUB_BASE_URL — where hf://owner/repo/file.gguf references are fetched from (a mirror or an air-gapped registry serving the Hugging Face layout)"),
  hub_stall_timeout_ms: z.int().min(100).max(3_600_000).default(30_000).describe("LLORCH_HUB_STALL_TIMEOUT_MS — a hub pull whose hub sends nothing for this long (an open connection gone silent) drops that connection and resumes from the bytes on disk, as after a dropped connection"),
  staging_bandwidth_limit_bytes_per_s: z.int().min(0).default(0).describe("ORCHD_STAGING_BANDWIDTH_LIMIT — cap of each model staging transfer in bytes per second (0 = unlimited); a job's own cap applies when lower"),
  task_journal_retention_days: z.int().min(0).max(3650).default(30).describe("ORCHD_TASK_JOURNAL_RETENTION_DAYS — tasks accepted and finished longer ago than this are deleted from the task journal, with their stored request (GET /v2/tasks/{id} then answers 404, and a retry with the same Idempotency-Key runs as a new task); 0 keeps them forever. Usage per key is kept apart and is not affected"),
  metrics_history_step_ms: z.int().min(1000).max(60_000).default(5000).describe("ORCHD_METRICS_HISTORY_STEP_MS — sample period of the Metrics view's history (kept in SQLite: 1 h at this step, 24 h at one minute)"),
  grafana_url: z.url().optional().describe("ORCHD_GRAFANA_URL — Grafana dashboard the Metrics view links to"),
  ...otelConfigFields("llama-orch-orchestrator"),
  tls: z.boolean().default(false).describe("LLORCH_TLS — serve HTTPS (API, dashboard, cluster) with a certificate from the cluster CA, issue each joining worker a certificate and call workers over TLS (docs/SECURITY.md)"),
  tls_ca_cert_file: z.string().min(1).optional().describe("LLORCH_TLS_CA_CERT_FILE — the operator's CA certificate (PEM, EC P-256 key) instead of the CA generated into <data dir>/tls; needs tls_ca_key_file"),
  tls_ca_key_file: z.string().min(1).optional().describe("LLORCH_TLS_CA_KEY_FILE — the private key (PEM) of tls_ca_cert_file"),
  tls_hostnames: z.array(z.string().min(1).max(253)).default([]).describe("LLORCH_TLS_HOSTNAMES — extra DNS names or IP addresses in the orchestrator's certificate (comma list; localhost, loopback and the bind host are always in)"),
}).refine((c) => (c.tls_ca_cert_file === undefined) === (c.tls_ca_key_file === undefined), { message: "tls_ca_cert_file and tls_ca_key_file go together", path: ["tls_ca_key_file"] });
export type OrchestratorConfig = z.infer<typeof OrchestratorConfigSchema>;
export type OrchestratorConfigInput = z.input<typeof OrchestratorConfigSchema>;

/** Environment variable → config key, for the loader and the generated configuration reference. */
export const ORCHESTRATOR_ENV_KEYS = {
  ORCHESTRATORD_BIND_ADDR: "bind_addr",
  ORCHESTRATORD_CLOUD_PROFILE: "cloud_profile",
  LLORCH_DATA_DIR: "data_dir",
  LLORCH_LOG_LEVEL: "log_level",
  ORCHESTRATORD_PLACEMENT_STRATEGY: "placement_strategy",
  ORCHESTRATORD_PLACEMENT_SEED: "placement_seed",
  ORCHD_ADMISSION_CAPACITY: "admission_capacity",
  ORCHD_ADMISSION_POLICY: "admission_policy",
  ORCHD_ADMISSION_MAX_QUEUED_PER_KEY: "admission_max_queued_per_key",
  ORCHD_RETRY_AFTER_MS: "retry_after_ms",
  ORCHESTRATORD_HEARTBEAT_INTERVAL_MS: "heartbeat_interval_ms",
  ORCHESTRATORD_HEARTBEAT_MAX_PER_S: "heartbeat_max_per_s",
  ORCHESTRATORD_HEARTBEAT_NODE_MAX_PER_INTERVAL: "heartbeat_node_max_per_interval",
  ORCHD_NODE_REGISTER_MAX_PER_MIN: "node_register_max_per_min",
  ORCHESTRATORD_NODE_SUSPECT_MS: "node_suspect_ms",
  ORCHESTRATORD_NODE_TIMEOUT_MS: "node_timeout_ms",
  ORCHESTRATORD_WORKER_STREAM_IDLE_MS: "worker_stream_idle_ms",
  ORCHESTRATORD_WORKER_FIRST_TOKEN_TIMEOUT_MS: "worker_first_token_timeout_ms",
  ORCHD_RESCUE_ATTEMPTS: "rescue_attempts",
  ORCHD_OUTLIER_CONSECUTIVE_FAILURES: "outlier_consecutive_failures",
  ORCHD_OUTLIER_EJECTION_BASE_MS: "outlier_ejection_base_ms",
  ORCHD_OUTLIER_EJECTION_MAX_MS: "outlier_ejection_max_ms",
  ORCHESTRATORD_WATCH_HEARTBEAT_MS: "watch_heartbeat_ms",
  ORCHESTRATORD_WATCH_DEAD_PEER_MS: "watch_dead_peer_ms",
  ORCHESTRATORD_POOL_PROBE_INTERVAL_MS: "pool_probe_interval_ms",
  ORCHESTRATORD_POOL_PROBE_MAX_PER_S: "pool_probe_max_per_s",
  ORCHD_MAX_NODES: "max_nodes",
  ORCHD_MAX_NODES_PER_KEY: "max_nodes_per_key",
  ORCHD_SESSION_TTL_MS: "session_ttl_ms",
  ORCHD_SESSION_MAX_TURNS: "session_max_turns",
  ORCHD_SESSION_TOKEN_BUDGET: "session_token_budget",
  ORCHD_METRICS_PUBLIC: "metrics_public",
  ORCHD_ALLOWED_ORIGINS: "allowed_origins",
  ORCHD_CORS_ALLOW_LOCALHOST: "cors_allow_localhost",
  ORCHD_DASHBOARD_DIR: "dashboard_dir",
  ORCHD_SHUTDOWN_GRACE_MS: "shutdown_grace_ms",
  ORCHD_SHUTDOWN_QUEUED_TASKS: "shutdown_queued_tasks",
  ORCHD_STAGING_BANDWIDTH_LIMIT: "staging_bandwidth_limit_bytes_per_s",
  LLORCH_HUB_BASE_URL: "hub_base_url",
  LLORCH_HUB_STALL_TIMEOUT_MS: "hub_stall_timeout_ms",
  ORCHD_TASK_JOURNAL_RETENTION_DAYS: "task_journal_retention_days",
  ORCHD_METRICS_HISTORY_STEP_MS: "metrics_history_step_ms",
  ORCHD_GRAFANA_URL: "grafana_url",
  OTEL_EXPORTER_OTLP_ENDPOINT: "otel_exporter_otlp_endpoint",
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "otel_exporter_otlp_traces_endpoint",
  OTEL_SERVICE_NAME: "otel_service_name",
  LLORCH_TLS: "tls",
  LLORCH_TLS_CA_CERT_FILE: "tls_ca_cert_file",
  LLORCH_TLS_CA_KEY_FILE: "tls_ca_key_file",
  LLORCH_TLS_HOSTNAMES: "tls_hostnames",
} as const satisfies Record<string, keyof OrchestratorConfig>;

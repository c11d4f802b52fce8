import { z } from "zod";
import { NodeIdSchema, PoolIdSchema } from "../common/ids.js";
import { LogLevelSchema } from "./log-level.js";
import { otelConfigFields } from "./otel-config.js";

// Configuration of a worker agent (llama-orch-worker). The agent merges flags > env > config file >
// defaults into one object and validates it with WorkerConfigSchema; machine-dependent defaults
// (hostname, home directory, core count) are filled in by the agent before validation, so this
// module stays runtime-neutral. The headless orchestrator uses the same schema when it writes a
// config file for the local worker it supervises.

/** `host:port`; the port may be 0 (tests: the OS picks one, the agent logs the bound address). */
export const BindAddrSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/, "must be host:port, e.g. 127.0.0.1:9200 or [::1]:9200")
  .refine((s) => Number(s.slice(s.lastIndexOf(":") + 1)) <= 65535, "port must be 0..65535");

/** Where a pool runs: "cpu", a GPU index, or "auto" (best device that fits). */
export const PoolDeviceSchema = z.union([z.literal("cpu"), z.literal("auto"), z.int().min(0).max(63)]);
export type PoolDevice = z.infer<typeof PoolDeviceSchema>;

/** What runs a pool's model: node-llama-cpp in a child process (default) or a supervised llama-server. */
export const PoolEngineSchema = z.enum(["node-llama-cpp", "llama-server"]);
export type PoolEngine = z.infer<typeof PoolEngineSchema>;

/** Which llama.cpp build node-llama-cpp pools load: the native one when usable (auto), only it, or never. */
export const NodeLlamaCppAddonSchema = z.enum(["auto", "native", "prebuilt"]);
export type NodeLlamaCppAddon = z.infer<typeof NodeLlamaCppAddonSchema>;

export const EngineCpuPinningSchema = z.enum(["auto", "off"]);

export const PoolDefinitionSchema = z.strictObject({
  id: PoolIdSchema,
  /** A file name in the models dir, a sha256 (bare or sha256:-prefixed) or the model's friendly name. */
  model: z.string().min(1).max(1024),
  device: PoolDeviceSchema.default("auto"),
  /** Parallel sequences of the pool's one llama.cpp context. */
  slots: z.int().min(1).max(64).default(2),
  /** Tokens per sequence (node-llama-cpp's contextSize is per sequence). Default: min(model's, 4096). */
  context_size: z.int().min(64).max(1_048_576).optional(),
  /** Refuse to load (MODEL_TOO_LARGE) when the estimate exceeds this many bytes; default: free RAM/VRAM. */
  memory_limit_bytes: z.int().min(0).optional(),
  /** node-llama-cpp (default) or llama-server (the binary from `llama-orch-worker engine build` or llama_server_path). */
  engine: PoolEngineSchema.default("node-llama-cpp"),
});
export type PoolDefinition = z.infer<typeof PoolDefinitionSchema>;

export const SupervisorConfigSchema = z.strictObject({
  /** First restart delay after a crash; doubles per consecutive crash (±jitter) up to max_backoff_ms. */
  initial_backoff_ms: z.int().min(0).max(600_000).default(1000),
  max_backoff_ms: z.int().min(0).max(3_600_000).default(60_000),
  /** Jitter as a fraction of the delay (0.1 = ±10 %). */
  jitter: z.number().min(0).max(1).default(0.1),
  /** Consecutive crashes (no stable ready period between them) that open the circuit breaker. */
  max_consecutive_failures: z.int().min(1).max(1000).default(5),
  /** Restarts within restart_window_ms that count as a storm and open the circuit breaker. */
  max_restarts_in_window: z.int().min(1).max(10_000).default(10),
  restart_window_ms: z.int().min(1).max(86_400_000).default(60_000),
  /**
   * A loaded engine that sends nothing (no pong to the pings sent every ≤ 2 s, no token, no stats) for
   * this long counts as hung — stopped, its event loop wedged, a llama-server no longer answering
   * /health — and is killed: its tasks fail with ENGINE_CRASHED and it restarts with the backoff above. 0: never.
   */
  engine_unresponsive_ms: z.int().min(0).max(3_600_000).refine((ms) => ms === 0 || ms >= 1000, "0 (off) or at least 1000 ms").default(15_000),
  /** How long the breaker stays open before one trial start (half-open). */
  circuit_open_ms: z.int().min(0).max(86_400_000).default(300_000),
  /** Ready this long without a crash resets the backoff. */
  stable_after_ms: z.int().min(0).max(86_400_000).default(300_000),
});
export type SupervisorConfig = z.infer<typeof SupervisorConfigSchema>;


export const WorkerConfigSchema = z.strictObject({
  node_id: NodeIdSchema.describe("node id the orchestrator knows this agent by (default: hostname)"),
  machine_id: z.string().min(1).max(256).describe("physical machine id, for operators (default: node id)"),
  bind_addr: BindAddrSchema.default("127.0.0.1:9200").describe("listen address of the agent's API (port 0: any free port, logged)"),
  /** Base URL the orchestrator should call; default derived from the bound address. */
  advertise_url: z.url({ protocol: /^https?$/ }).optional().describe("Base URL the orchestrator should call; default derived from the bound address."),
  /** Without it the agent runs standalone (no registration). */
  orchestrator_url: z.url({ protocol: /^https?$/ }).optional().describe("Without it the agent runs standalone (no registration)."),
  api_token: z.string().min(16, "must be at least 16 characters (32+ recommended, e.g. `openssl rand -hex 32`)").max(8192).optional().describe("bearer token for the agent's API and for calling the orchestrator (≥ 32 characters recommended)"),
  join_token: z.string().min(16).max(8192).optional().describe("single-use join token (POST /v2/auth/join-tokens): on first start the agent exchanges it for its own worker key, kept in <data_dir>/node-key (mode 0600) and used from then on"),
  join: z.string().min(1).max(8192).optional().describe("`<orchestrator url>#<join token>[@sha256:<CA fingerprint>]` as `POST /v2/auth/join-tokens` answers it (`join`): sets orchestrator_url, join_token and ca_fingerprint at once"),
  ca_fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 lowercase hex>").optional().describe("SHA-256 fingerprint of the cluster CA to pin (https:// orchestrators): the agent refuses any server whose chain does not hold it; kept in <data_dir>/tls/ca.pem after the join"),
  heartbeat_interval_secs: z.number().positive().max(3600).default(1).describe("heartbeat period (fractions allowed); the orchestrator's reply may change it"),
  models_dir: z.string().min(1).describe("folder scanned for *.gguf models (default ~/.cache/llama-orch/models)"),
  /** Handoff files of external engines (*.json). */
  runtime_dir: z.string().min(1).describe("Handoff files of external engines (*.json)."),
  /** Catalog sha256 cache and the generated loopback token. */
  data_dir: z.string().min(1).describe("Catalog sha256 cache and the generated loopback token."),
  pools: z.array(PoolDefinitionSchema).max(256).optional().describe("pool definitions (id, model, device, slots, context_size, engine); none: one pool per model found"),
  log_level: LogLevelSchema.default("info").describe("log level"),
  /** llama.cpp threads per engine; default 1 on ≤2 cores, else cores − 1 (capped at 16). */
  threads: z.int().min(1).max(256).describe("llama.cpp threads per engine; default 1 on ≤2 cores, else cores − 1 (capped at 16)."),
  /** Slots per pool when pools are derived from the models dir. */
  auto_pool_slots: z.int().min(1).max(64).optional().describe("Slots per pool when pools are derived from the models dir."),
  /** How long an infer waits for a free slot before failing with REPLICA_EXHAUSTED. */
  slot_wait_ms: z.int().min(0).max(3_600_000).default(30_000).describe("How long an infer waits for a free slot before failing with REPLICA_EXHAUSTED."),
  /** Requests that may wait for a slot per pool; more are refused at once (503). */
  slot_queue_limit: z.int().min(0).max(10_000).default(64).describe("Requests that may wait for a slot per pool; more are refused at once (503)."),
  staging_stall_timeout_ms: z.int().min(100).max(3_600_000).default(30_000).describe("a model pull gives up on a source that sends nothing for this long (a stopped process, a silent network): the part is kept and the orchestrator resumes from another holder"),
  catalog_poll_ms: z.int().min(100).max(3_600_000).default(2000).describe("how often the models folder is rescanned for added or removed models"),
  handoff_poll_ms: z.int().min(50).max(500).default(250).describe("how often the runtime dir is polled for handoff files"),
  /** Drain deadline on SIGTERM/SIGINT before in-flight work is aborted. */
  shutdown_drain_ms: z.int().min(0).max(600_000).default(10_000).describe("Drain deadline on SIGTERM/SIGINT before in-flight work is aborted."),
  /** Cap of the registration retry backoff while the orchestrator is down. */
  registration_max_backoff_ms: z.int().min(100).max(600_000).default(30_000).describe("Cap of the registration retry backoff while the orchestrator is down."),
  llama_server_path: z.string().min(1).max(4096).optional().describe("llama-server binary for pools with engine \"llama-server\"; default: the one `llama-orch-worker engine build` put in <data_dir>/llama-server/"),
  node_llama_cpp_addon: NodeLlamaCppAddonSchema.default("auto").describe("llama.cpp build for node-llama-cpp pools on CPU: \"auto\" loads the native build of `llama-orch-worker engine build --engine node-llama-cpp` when it fits this machine and install (else the prebuilt, logged), \"native\" requires it, \"prebuilt\" never uses it"),
  node_llama_cpp_addon_dir: z.string().min(1).max(4096).optional().describe("folder of the native node-llama-cpp build; default: <data_dir>/node-llama-cpp-native/<llama.cpp version>/"),
  engine_cpu_pinning: EngineCpuPinningSchema.default("auto").describe("node-llama-cpp engines on CPU that decode with one llama.cpp thread: \"auto\" pins each such engine process to one CPU of the agent's affinity, spread over the CPUs (its decode thread and JavaScript thread hand every token back and forth; docs/PERFORMANCE.md, \"One CPU per one-thread engine\"), \"off\" leaves them to the scheduler"),
  supervisor: SupervisorConfigSchema.default(SupervisorConfigSchema.parse({})).describe("engine restart policy: backoff, jitter, circuit breaker (see docs/WORKER.md)"),
  ...otelConfigFields("llama-orch-worker"),
});
export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;

/** Env var → config key (flags > env > file > defaults). POOL_MANAGERD_ADDRESS is the original's name for the advertised address. */
export const WORKER_ENV_KEYS: ReadonlyArray<readonly [string, keyof WorkerConfig]> = [
  ["POOL_MANAGERD_NODE_ID", "node_id"],
  ["POOL_MANAGERD_MACHINE_ID", "machine_id"],
  ["POOL_MANAGERD_BIND_ADDR", "bind_addr"],
  ["POOL_MANAGERD_ADDRESS", "advertise_url"],
  ["POOL_MANAGERD_ADVERTISE_URL", "advertise_url"],
  ["ORCHESTRATORD_URL", "orchestrator_url"],
  ["LLORCH_API_TOKEN", "api_token"],
  ["LLORCH_JOIN_TOKEN", "join_token"],
  ["LLORCH_JOIN", "join"],
  ["LLORCH_CA_FINGERPRINT", "ca_fingerprint"],
  ["POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS", "heartbeat_interval_secs"],
  ["POOL_MANAGERD_MODELS_DIR", "models_dir"],
  ["POOL_MANAGERD_RUNTIME_DIR", "runtime_dir"],
  ["POOL_MANAGERD_DATA_DIR", "data_dir"],
  ["LLORCH_LOG_LEVEL", "log_level"],
  ["POOL_MANAGERD_THREADS", "threads"],
  ["POOL_MANAGERD_AUTO_POOL_SLOTS", "auto_pool_slots"],
  ["POOL_MANAGERD_SLOT_WAIT_MS", "slot_wait_ms"],
  ["LLORCH_LLAMA_SERVER", "llama_server_path"],
  ["LLORCH_NLC_ADDON", "node_llama_cpp_addon"],
  ["LLORCH_NLC_ADDON_DIR", "node_llama_cpp_addon_dir"],
  ["LLORCH_ENGINE_CPU_PINNING", "engine_cpu_pinning"],
  ["OTEL_EXPORTER_OTLP_ENDPOINT", "otel_exporter_otlp_endpoint"],
  ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "otel_exporter_otlp_traces_endpoint"],
  ["OTEL_SERVICE_NAME", "otel_service_name"],
];
/** The config before validation: what a config file may contain (every key optional). */
export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>;

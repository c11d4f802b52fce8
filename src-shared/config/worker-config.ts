import { z } from "zod";
import { NodeIdSchema, PoolIdSchema } from "../common/ids.js";

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
  /** How long the breaker stays open before one trial start (half-open). */
  circuit_open_ms: z.int().min(0).max(86_400_000).default(300_000),
  /** Ready this long without a crash resets the backoff. */
  stable_after_ms: z.int().min(0).max(86_400_000).default(300_000),
});
export type SupervisorConfig = z.infer<typeof SupervisorConfigSchema>;

export const LogLevelSchema = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

export const WorkerConfigSchema = z.strictObject({
  node_id: NodeIdSchema,
  machine_id: z.string().min(1).max(256),
  bind_addr: BindAddrSchema.default("127.0.0.1:9200"),
  /** Base URL the orchestrator should call; default derived from the bound address. */
  advertise_url: z.url({ protocol: /^https?$/ }).optional(),
  /** Without it the agent runs standalone (no registration). */
  orchestrator_url: z.url({ protocol: /^https?$/ }).optional(),
  api_token: z.string().min(16, "must be at least 16 characters (32+ recommended, e.g. `openssl rand -hex 32`)").max(8192).optional(),
  heartbeat_interval_secs: z.number().positive().max(3600).default(1),
  models_dir: z.string().min(1),
  /** Handoff files of external engines (*.json). */
  runtime_dir: z.string().min(1),
  /** Catalog sha256 cache and the generated loopback token. */
  data_dir: z.string().min(1),
  pools: z.array(PoolDefinitionSchema).max(256).optional(),
  log_level: LogLevelSchema.default("info"),
  /** llama.cpp threads per engine; default 1 on ≤2 cores, else cores − 1 (capped at 16). */
  threads: z.int().min(1).max(256),
  /** Slots per pool when pools are derived from the models dir. */
  auto_pool_slots: z.int().min(1).max(64).optional(),
  /** How long an infer waits for a free slot before failing with REPLICA_EXHAUSTED. */
  slot_wait_ms: z.int().min(0).max(3_600_000).default(30_000),
  /** Requests that may wait for a slot per pool; more are refused at once (503). */
  slot_queue_limit: z.int().min(0).max(10_000).default(64),
  catalog_poll_ms: z.int().min(100).max(3_600_000).default(2000),
  handoff_poll_ms: z.int().min(50).max(500).default(250),
  /** Drain deadline on SIGTERM/SIGINT before in-flight work is aborted. */
  shutdown_drain_ms: z.int().min(0).max(600_000).default(10_000),
  /** Cap of the registration retry backoff while the orchestrator is down. */
  registration_max_backoff_ms: z.int().min(100).max(600_000).default(30_000),
  supervisor: SupervisorConfigSchema.default(SupervisorConfigSchema.parse({})),
});
export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;
/** The config before validation: what a config file may contain (every key optional). */
export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>;

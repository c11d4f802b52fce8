import { z } from "zod";

/** GET /v2/pools/{id}/diagnostics on a worker: supervision internals for operators and tests. */
export const PoolDiagnosticsSchema = z.object({
  pool_id: z.string(),
  kind: z.enum(["llama", "external"]),
  state: z.string(),
  /** pid of the engine child process (null for external engines or while stopped). */
  engine_pid: z.int().nullable(),
  /** Circuit breaker: closed, open or half-open. */
  circuit: z.string(),
  consecutive_failures: z.int().min(0),
  restarts: z.int().min(0),
  slots_busy: z.int().min(0),
  slots_waiting: z.int().min(0),
  model_path: z.string().nullable(),
  last_exit: z.string().nullable(),
  /** Where the pool came from: config, auto (models dir) or a handoff file. */
  source: z.string(),
  /** The model its definition named at start (an auto pool's own file); a reload may have it serve another. Absent for external pools. */
  defined_model: z.string().optional(),
});
export type PoolDiagnostics = z.infer<typeof PoolDiagnosticsSchema>;

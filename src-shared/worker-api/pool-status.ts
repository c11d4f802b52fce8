import { z } from "zod";
import { ByteCountSchema, PoolIdSchema } from "../common/ids.js";
import { LoadedModelSchema } from "../models/model-inventory.js";

/**
 * Engine lifecycle of a pool. backoff: waiting to restart after a crash; circuit_open: too many
 * crashes, restarts paused; stopped: drained or never started; failed: gave up (e.g. model does not load).
 */
export const PoolStateSchema = z.enum(["loading", "ready", "draining", "failed", "stopped", "backoff", "circuit_open"]);
export type PoolState = z.infer<typeof PoolStateSchema>;

/** GET /v2/pools/{id}/status on a worker. */
export const PoolStatusSchema = z.object({
  pool_id: PoolIdSchema,
  live: z.boolean(),
  ready: z.boolean(),
  draining: z.boolean(),
  state: PoolStateSchema,
  slots_total: z.int().min(0),
  slots_free: z.int().min(0),
  engine: z.string(),
  engine_version: z.string(),
  /** Which devices the pool uses, e.g. "0" or "0,1"; "cpu" for CPU-only pools. */
  device_mask: z.string(),
  vram_free_bytes: ByteCountSchema,
  model: LoadedModelSchema.nullable(),
  last_error: z.string().nullable(),
  /** Engine restarts since the agent started. */
  restarts: z.int().min(0),
});
export type PoolStatus = z.infer<typeof PoolStatusSchema>;

/** GET /v2/pools on a worker. */
export const PoolStatusListResponseSchema = z.object({
  pools: z.array(PoolStatusSchema),
});
export type PoolStatusListResponse = z.infer<typeof PoolStatusListResponseSchema>;

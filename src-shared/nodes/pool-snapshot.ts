import { z } from "zod";
import { ByteCountSchema, PoolIdSchema } from "../common/ids.js";
import { LoadedModelSchema } from "../models/model-inventory.js";
import { Sha256HexSchema } from "../models/sha256.js";
import { PoolStateSchema } from "../worker-api/pool-status.js";

/** One pool's state as pushed by a worker in heartbeats (spec §6.2, with models reported by sha256). */
export const PoolSnapshotSchema = z.object({
  pool_id: PoolIdSchema,
  ready: z.boolean(),
  draining: z.boolean(),
  slots_free: z.int().min(0),
  slots_total: z.int().min(0),
  vram_free_bytes: ByteCountSchema,
  engine: z.string(),
  engine_version: z.string().optional(),
  device_mask: z.string().optional(),
  /** sha256 of every model this pool can serve without staging. */
  models_available: z.array(Sha256HexSchema),
  model: LoadedModelSchema.optional(),
  last_error: z.string().nullable().optional(),
  /**
   * The engine's lifecycle (older agents do not send it): `backoff` and `loading` after a crash mean the
   * pool is coming back, so admission queues for it rather than refusing; `circuit_open` and `failed` do not.
   */
  state: PoolStateSchema.optional(),
  tokens_per_second: z.number().min(0).optional(),
});
export type PoolSnapshot = z.infer<typeof PoolSnapshotSchema>;

import { z } from "zod";
import { PoolIdSchema } from "../common/ids.js";

/**
 * Engine handoff file (spec §8.2): written when an engine is ready, read by whoever binds the
 * pool. Unknown keys from other writers (provisioning_mode, flags, …) are preserved.
 * `slots` is the watcher's legacy name; readers prefer slots_total/slots_free.
 */
export const HandoffFileSchema = z.looseObject({
  pool_id: PoolIdSchema,
  replica_id: z.string().min(1),
  engine: z.string().min(1),
  engine_version: z.string().min(1),
  url: z.url(),
  device_mask: z.string().optional(),
  slots_total: z.int().min(0).optional(),
  slots_free: z.int().min(0).optional(),
  slots: z.int().min(0).optional(),
  model: z.looseObject({ id: z.string().optional(), path: z.string().optional(), sha256: z.string().optional() }).optional(),
  pid: z.int().min(1).optional(),
});
export type HandoffFile = z.infer<typeof HandoffFileSchema>;

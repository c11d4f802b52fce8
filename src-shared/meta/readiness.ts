import { z } from "zod";

/** GET /ready on the orchestrator (open): 200 when at least one pool can serve, else 503 saying why. */
export const ReadinessResponseSchema = z.object({
  ready: z.boolean(),
  /** Online nodes and their pools; a loading pool counts in pools_total, not pools_ready. */
  nodes_online: z.int().min(0),
  pools_total: z.int().min(0),
  pools_ready: z.int().min(0),
  /** Why not ready (absent when ready). */
  reason: z.string().optional(),
});
export type ReadinessResponse = z.infer<typeof ReadinessResponseSchema>;

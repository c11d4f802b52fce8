import { z } from "zod";

/** What readiness counts: Online nodes and their pools (a loading pool is in pools_total, not pools_ready). */
export const ReadinessCountsSchema = z.object({
  nodes_online: z.int().min(0),
  pools_total: z.int().min(0),
  pools_ready: z.int().min(0),
});
export type ReadinessCounts = z.infer<typeof ReadinessCountsSchema>;

/**
 * GET /ready on the orchestrator (open): 200 with this body when at least one pool can serve; else
 * 503 POOL_UNAVAILABLE whose message says why and whose details carry the same counts.
 */
export const ReadinessResponseSchema = ReadinessCountsSchema.extend({
  ready: z.literal(true),
});
export type ReadinessResponse = z.infer<typeof ReadinessResponseSchema>;

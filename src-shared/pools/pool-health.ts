import { z } from "zod";
import { ModelRefStringSchema } from "../models/model-ref.js";
import { PoolDesiredStatusSchema } from "../nodes/pool-desired.js";

/** GET /v2/pools/{id}/health on the orchestrator (spec §2.2 Pool control). */
export const PoolHealthResponseSchema = z.object({
  live: z.boolean(),
  ready: z.boolean(),
  draining: z.boolean(),
  metrics: z.looseObject({ queue_depth: z.int().min(0) }),
  last_error: z.string().nullable(),
  node_id: z.string().optional(),
  /** When the orchestrator last probed the pool's status endpoint. */
  last_checked_ms: z.int().min(0).nullable().optional(),
  /** The operator's desired state for the pool and how far the worker has converged to it; null when none was set. */
  desired: PoolDesiredStatusSchema.nullable().optional(),
  /**
   * Set while the orchestrator keeps tasks off the pool because its attempts kept failing before their
   * first token (outlier ejection, outlier_consecutive_failures); null when it is not ejected.
   */
  ejection: z
    .object({
      /** When the ejection ends (epoch ms): then one task tries the pool again. */
      until_ms: z.int().min(0),
      /** Ejections in a row: each lasts outlier_ejection_base_ms times this, up to outlier_ejection_max_ms. */
      ejections: z.int().min(1),
      reason: z.string(),
    })
    .nullable()
    .optional(),
});
export type PoolHealthResponse = z.infer<typeof PoolHealthResponseSchema>;

/** POST /v2/pools/{id}/reload on the orchestrator: drain → stage → restart → ready, or roll back. */
export const PoolReloadRequestSchema = z.object({
  new_model_ref: ModelRefStringSchema,
  drain_deadline_ms: z.int().min(0).max(3_600_000).optional(),
});
export type PoolReloadRequest = z.infer<typeof PoolReloadRequestSchema>;

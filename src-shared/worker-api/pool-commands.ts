import { z } from "zod";
import { ModelRefStringSchema } from "../models/model-ref.js";

/** POST /v2/pools/{id}/drain — stop taking work; in-flight work may finish until the deadline. Answers 202. */
export const DrainRequestSchema = z.object({
  deadline_ms: z.int().min(0).max(3_600_000),
});
export type DrainRequest = z.infer<typeof DrainRequestSchema>;

/** POST /v2/pools/{id}/reload on a worker — switch the pool to another local model. */
export const WorkerReloadRequestSchema = z.object({
  /** sha256 (bare or sha256:-prefixed) or any model reference the worker can resolve locally. */
  model: ModelRefStringSchema,
  drain_deadline_ms: z.int().min(0).max(3_600_000).optional(),
});
export type WorkerReloadRequest = z.infer<typeof WorkerReloadRequestSchema>;

/** 202 body for drain and reload: the command was accepted; progress shows in pool status. */
export const PoolCommandAcceptedSchema = z.object({
  pool_id: z.string(),
  accepted: z.literal(true),
  state: z.string(),
});
export type PoolCommandAccepted = z.infer<typeof PoolCommandAcceptedSchema>;

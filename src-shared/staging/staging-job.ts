import { z } from "zod";
import { queryInteger } from "../common/query-integer.js";
import { ByteCountSchema, EpochMsSchema, NodeIdSchema, PoolIdSchema } from "../common/ids.js";
import { Sha256HexSchema } from "../models/sha256.js";

/**
 * Life of a staging job (one model to one target node):
 *   queued → transferring → verifying → completed
 *   any non-terminal → retrying (backoff, switching source, or waiting for the target to come back) → transferring …
 *   any non-terminal → failed | canceled
 */
export const StagingJobStateSchema = z.enum(["queued", "transferring", "verifying", "retrying", "completed", "failed", "canceled"]);
export type StagingJobState = z.infer<typeof StagingJobStateSchema>;

export const TERMINAL_STAGING_STATES: readonly StagingJobState[] = ["completed", "failed", "canceled"];

/** The source id of the orchestrator's own model store (a node id no worker may take). */
export const CONTROL_PLANE_SOURCE = "control-plane";

/**
 * Whether a worker may not take `nodeId`: the store's source id, in any letter case (a look-alike
 * `Control-Plane` beside the store would read as it on the dashboard).
 */
export function isReservedNodeId(nodeId: string): boolean {
  return nodeId.toLowerCase() === CONTROL_PLANE_SOURCE;
}

/** The refusal of a reserved node id, the same on register, join and join-token creation. */
export const RESERVED_NODE_ID_MESSAGE = `node id ${CONTROL_PLANE_SOURCE} (in any letter case) is reserved for the orchestrator's own model store; choose another`;

/** Why an attempt (or a job) failed; the label of orchd_staging_failures_total. */
export const StagingFailureReasonSchema = z.enum([
  "no_source",
  "source_error",
  "digest_mismatch",
  "insufficient_disk",
  "target_unavailable",
  "target_error",
  "attempts_exhausted",
]);
export type StagingFailureReason = z.infer<typeof StagingFailureReasonSchema>;

export const StagingJobErrorSchema = z.object({
  reason: StagingFailureReasonSchema,
  message: z.string(),
});
export type StagingJobError = z.infer<typeof StagingJobErrorSchema>;

/**
 * What to do once the copy on the target is verified. `reload_pool`: point that pool (on the
 * target node) at the model through its desired state; the pool reconciler does the reload.
 */
export const StageThenSchema = z.strictObject({
  reload_pool: PoolIdSchema,
});
export type StageThen = z.infer<typeof StageThenSchema>;

/** GET /v2/catalog/jobs/{id}. */
export const StagingJobSchema = z.object({
  job_id: z.string(),
  sha256: Sha256HexSchema,
  file_name: z.string(),
  size_bytes: ByteCountSchema,
  target_node_id: NodeIdSchema,
  /** The node the current (or last) attempt pulls from. */
  source_node_id: NodeIdSchema.nullable(),
  state: StagingJobStateSchema,
  /** Bytes of the file on the target's disk (verified or partial). */
  bytes_done: ByteCountSchema,
  /** Bytes that crossed the wire for this job, over all attempts (resume makes it close to size_bytes). */
  bytes_transferred: ByteCountSchema,
  /** Transfer attempts so far (a resume after a target restart is not a new attempt). */
  attempts: z.int().min(0),
  /** Sources that failed this job, most recent last (not chosen again while another exists). */
  failed_sources: z.array(NodeIdSchema),
  /** Preferred sources given at stage time, in order; empty: any holder. */
  preferred_sources: z.array(NodeIdSchema),
  /** Bytes per second; null: unlimited. */
  bandwidth_limit_bytes_per_s: z.int().min(1).nullable(),
  error: StagingJobErrorSchema.nullable(),
  /** The follow-up asked for at stage time (absent: none; jobs stored before it existed have none). */
  then: StageThenSchema.optional(),
  created_at_ms: EpochMsSchema,
  updated_at_ms: EpochMsSchema,
  finished_at_ms: EpochMsSchema.nullable(),
});
export type StagingJob = z.infer<typeof StagingJobSchema>;

/** POST /v2/catalog/models/{id}/stage. */
export const StageModelRequestSchema = z.strictObject({
  /** Target node ids, or "all": every Online node that does not hold the model yet. */
  nodes: z.union([z.literal("all"), z.array(NodeIdSchema).min(1).max(1000)]),
  /** Restrict sources to these holders, tried in this order (default: any holder, idle ones first). */
  sources: z.array(NodeIdSchema).max(1000).optional(),
  /** Per-job cap in bytes per second; the lower of it and the global setting applies. */
  bandwidth_limit_bytes_per_s: z.int().min(1).optional(),
  /** After the copy is verified on the pool's node (which must be a target, or already hold the model). */
  then: StageThenSchema.optional(),
});
export type StageModelRequest = z.infer<typeof StageModelRequestSchema>;

export const StageModelResponseSchema = z.object({
  /** One job per target that does not hold the model yet (an existing active job is returned, not duplicated). */
  jobs: z.array(StagingJobSchema),
  /** Targets that already hold a verified copy. */
  already_present: z.array(NodeIdSchema),
});
export type StageModelResponse = z.infer<typeof StageModelResponseSchema>;

export const StagingJobListResponseSchema = z.object({ jobs: z.array(StagingJobSchema) });
export type StagingJobListResponse = z.infer<typeof StagingJobListResponseSchema>;

export const StagingJobListQuerySchema = z.object({
  state: StagingJobStateSchema.optional(),
  sha256: Sha256HexSchema.optional(),
  limit: queryInteger(1, 1000).optional(),
});
export type StagingJobListQuery = z.infer<typeof StagingJobListQuerySchema>;

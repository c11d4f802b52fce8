import { z } from "zod";
import { ByteCountSchema, NodeIdSchema } from "../common/ids.js";
import { StagingFailureReasonSchema } from "./staging-job.js";

/** File names a worker accepts for a staged model: a plain *.gguf name, never a path. */
export const STAGED_FILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.gguf$/;

/**
 * POST /v2/models/{sha256}/pull on the target worker: fetch the model from a peer. The target
 * resumes from its `.part` file (Range), checks free disk first, verifies the digest, then renames.
 * Idempotent per job: the same job_id while the pull runs answers its status.
 */
export const ModelPullRequestSchema = z.strictObject({
  job_id: z.string().min(1).max(128),
  file_name: z.string().regex(STAGED_FILE_NAME_PATTERN, "must be a plain *.gguf file name"),
  size_bytes: ByteCountSchema,
  source: z.strictObject({
    node_id: NodeIdSchema,
    /** The source worker's base URL. */
    url: z.url({ protocol: /^https?$/ }),
    /** Short-lived grant for this model and node pair, presented to the source as the bearer. */
    grant: z.string().min(1).max(4096),
  }),
  bandwidth_limit_bytes_per_s: z.int().min(1).nullable(),
});
export type ModelPullRequest = z.infer<typeof ModelPullRequestSchema>;

export const ModelPullPhaseSchema = z.enum(["transferring", "verifying", "completed", "failed", "canceled"]);
export type ModelPullPhase = z.infer<typeof ModelPullPhaseSchema>;

/** GET /v2/models/{sha256}/pull (and the answer to POST): the target's view of one pull. */
export const ModelPullStatusSchema = z.object({
  job_id: z.string(),
  phase: ModelPullPhaseSchema,
  /** Bytes of the `.part` (or the final file) on disk. */
  bytes_on_disk: ByteCountSchema,
  /** Bytes received over the wire by this pull command (excludes the part it resumed from). */
  bytes_transferred: ByteCountSchema,
  /** Where this pull started (the resume point). */
  resumed_from: ByteCountSchema,
  size_bytes: ByteCountSchema,
  verify_ms: z.number().min(0).nullable(),
  error: z.object({ reason: StagingFailureReasonSchema, message: z.string() }).nullable(),
});
export type ModelPullStatus = z.infer<typeof ModelPullStatusSchema>;

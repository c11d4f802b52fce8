import { z } from "zod";
import { ByteCountSchema, EpochMsSchema, NodeIdSchema } from "../common/ids.js";
import { Sha256HexSchema } from "../models/sha256.js";

/** POST /v2/catalog/pull: fetch a GGUF from a hub (or any https URL) into the orchestrator's store, then optionally stage it. */
export const HubPullRequestSchema = z.strictObject({
  /** `hf://owner/repo[@revision]/path/file.gguf` (resolved against the configured hub) or an http(s) URL. */
  ref: z.string().min(1).max(2048),
  /** The expected sha256, when the hub does not say it in its ETag. */
  sha256: Sha256HexSchema.optional(),
  /** Stage the model to these nodes (or every Online node) once it is verified. */
  nodes: z.union([z.literal("all"), z.array(NodeIdSchema).min(1).max(1000)]).optional(),
  bandwidth_limit_bytes_per_s: z.int().min(1).optional(),
});
export type HubPullRequest = z.infer<typeof HubPullRequestSchema>;

export const HubPullStateSchema = z.enum(["transferring", "retrying", "verifying", "completed", "failed", "canceled"]);

/** A hub pull's progress (GET /v2/catalog/pulls/{id}). */
export const HubPullSchema = z.object({
  pull_id: z.string(),
  ref: z.string(),
  /** The URL the ref resolved to (before redirects). */
  url: z.string(),
  state: HubPullStateSchema,
  /** The digest the hub announced (ETag / X-Linked-Etag) or the request gave; null: unknown until hashed. */
  expected_sha256: Sha256HexSchema.nullable(),
  sha256: Sha256HexSchema.nullable(),
  size_bytes: ByteCountSchema.nullable(),
  bytes_done: ByteCountSchema,
  /** Bytes that crossed the wire for this pull (a resume makes it close to size_bytes). */
  bytes_transferred: ByteCountSchema,
  /** Bytes already on disk when the pull (re)started: a part left by an earlier attempt. */
  resumed_from: ByteCountSchema,
  /** Retries after a dropped connection (resuming from the bytes on disk) or a hub that could not be reached. */
  resumes: z.int().min(0),
  error: z.string().nullable(),
  /** Staging jobs started once verified. */
  staging_job_ids: z.array(z.string()),
  created_at_ms: EpochMsSchema,
  finished_at_ms: EpochMsSchema.nullable(),
});
export type HubPull = z.infer<typeof HubPullSchema>;

export const HubPullListSchema = z.object({ pulls: z.array(HubPullSchema) });

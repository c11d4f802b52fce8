import { z } from "zod";
import { ByteCountSchema } from "../common/ids.js";

/**
 * POST /v2/models/in-place on a worker: serve a GGUF file from where it is (another tool's folder on
 * the worker's machine) without copying it into the models dir. The worker checks the file is a
 * GGUF, remembers it across restarts and hashes it on its next catalog scan.
 */
export const InPlaceModelRequestSchema = z.strictObject({
  /** Absolute path on the worker's machine. */
  path: z.string().min(1).max(4096),
});
export type InPlaceModelRequest = z.infer<typeof InPlaceModelRequestSchema>;

export const InPlaceModelResponseSchema = z.object({
  /** The resolved path (symlinks followed) the worker serves. */
  path: z.string(),
  file_name: z.string(),
  size_bytes: ByteCountSchema,
});
export type InPlaceModelResponse = z.infer<typeof InPlaceModelResponseSchema>;

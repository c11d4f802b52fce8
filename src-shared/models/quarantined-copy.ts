import { z } from "zod";
import { Sha256HexSchema } from "./sha256.js";

/**
 * A model file a worker stopped serving because its bytes are not the ones it verified: changed in
 * place after hashing (truncated, overwritten) or shorter than its GGUF header says. Quarantined
 * copies are not in the inventory, so they never count for a model's name (the alias rule).
 */
export const QuarantinedCopySchema = z.object({
  file_name: z.string().min(1),
  /** The sha256 the file had when it was verified; null when it was never complete. */
  expected_sha256: Sha256HexSchema.nullable(),
  /** The sha256 of the bytes found; null when not hashed (an incomplete file). */
  found_sha256: Sha256HexSchema.nullable(),
  reason: z.string(),
  /** Where the file was moved (under the models dir's .quarantine/); null when it was only marked. */
  moved_to: z.string().nullable(),
  at_ms: z.int().min(0),
});
export type QuarantinedCopy = z.infer<typeof QuarantinedCopySchema>;

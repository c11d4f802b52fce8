import { z } from "zod";
import { ByteCountSchema, EpochMsSchema } from "../common/ids.js";
import { Sha256HexSchema } from "../models/sha256.js";
import { STAGED_FILE_NAME_PATTERN } from "../staging/model-pull.js";

/** A model in the orchestrator's own store (`<data dir>/models`): a staging source like any node. */
export const StoreModelSchema = z.object({
  sha256: Sha256HexSchema,
  file_name: z.string().regex(STAGED_FILE_NAME_PATTERN),
  size_bytes: ByteCountSchema,
  /** GGUF general.name, when the header has one. */
  gguf_name: z.string().nullable(),
  architecture: z.string().nullable(),
  context_length: z.int().min(1).nullable(),
  has_chat_template: z.boolean(),
  /** How it arrived: copied from a host path, uploaded, pulled from a hub, or used in place (not copied). */
  origin: z.enum(["import", "upload", "pull", "in_place"]),
  /** The original file for `in_place` models (the store holds a link to it); the source for others. */
  source: z.string().nullable(),
  added_at_ms: EpochMsSchema,
});
export type StoreModel = z.infer<typeof StoreModelSchema>;

export const StoreModelListSchema = z.object({ models: z.array(StoreModelSchema) });

/**
 * A model's file name as a person or a browser gives it ("Llama-3-8B.Q4_K_M (1).gguf", spaces, any
 * script): never a path (no / or \, no control characters). The store keeps a plain name made from
 * it (characters other than A-Z a-z 0-9 . _ - become -). The browser's own name of a downloaded
 * file was refused before ("(1)" and spaces are not in the plain name's alphabet).
 */
export const GivenGgufFileNameSchema = z
  .string()
  .min(6)
  .max(255)
  .regex(/^[^\x00-\x1f\x7f-\x9f]*$/, "no control characters in a file name")
  .regex(/^[^/\\]+$/, "must be a file name, not a path (no / or \\)")
  .regex(/\.gguf$/i, "must end in .gguf");

/** POST /v2/catalog/import: copy a GGUF from a path on the orchestrator host into its store. */
export const ImportModelRequestSchema = z.strictObject({
  path: z.string().min(1).max(4096),
  /** Name of the copy (default: the source's file name); made plain as in GivenGgufFileNameSchema. */
  file_name: GivenGgufFileNameSchema.optional(),
});
export type ImportModelRequest = z.infer<typeof ImportModelRequestSchema>;

/** PUT /v2/catalog/import?file_name=…: the raw GGUF is the body. */
export const UploadModelQuerySchema = z.object({
  file_name: GivenGgufFileNameSchema,
});

import { z } from "zod";
import { ByteCountSchema } from "../common/ids.js";
import { Sha256HexSchema } from "../models/sha256.js";

/** Where a model folder on the orchestrator's machine comes from. */
export const DiscoverySourceSchema = z.enum(["lmstudio", "ollama", "llama.cpp", "huggingface"]);

/** A GGUF found in another tool's model folder (GET /v2/catalog/discovered). */
export const DiscoveredModelSchema = z.object({
  source: DiscoverySourceSchema,
  /** What the tool calls it: `publisher/repo/file.gguf`, `llama3:8b`, `owner/repo/file.gguf`. */
  label: z.string(),
  path: z.string(),
  file_name: z.string(),
  size_bytes: ByteCountSchema,
  /** Known without hashing (Ollama's blobs are content-addressed); null otherwise. */
  sha256: Sha256HexSchema.nullable(),
  /** Already in the orchestrator's store (copied or used in place). */
  in_store: z.boolean(),
});
export type DiscoveredModel = z.infer<typeof DiscoveredModelSchema>;

export const DiscoveredModelListSchema = z.object({ models: z.array(DiscoveredModelSchema), searched: z.array(z.string()) });

/** POST /v2/catalog/discovered/use: add a discovered file to the store without copying it. */
export const UseDiscoveredRequestSchema = z.strictObject({ path: z.string().min(1).max(4096) });

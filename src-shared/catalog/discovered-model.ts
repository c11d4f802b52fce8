import { z } from "zod";
import { ByteCountSchema, NodeIdSchema } from "../common/ids.js";
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

/**
 * POST /v2/catalog/discovered/use: use a discovered file without copying it. Without `node_id` it
 * joins the orchestrator's store as a link (a staging source); with `node_id` (a worker on this same
 * machine, e.g. the HOME profile's local worker) that worker serves it from where it is.
 */
export const UseDiscoveredRequestSchema = z.strictObject({ path: z.string().min(1).max(4096), node_id: NodeIdSchema.optional() });
export type UseDiscoveredRequest = z.infer<typeof UseDiscoveredRequestSchema>;

/** The answer when a node serves the file in place (202: the node hashes it on its next scan). */
export const UsedOnNodeSchema = z.object({
  node_id: NodeIdSchema,
  path: z.string(),
  file_name: z.string(),
  size_bytes: ByteCountSchema,
  /** Known when the folder names it (Ollama); otherwise the node reports it once hashed. */
  sha256: Sha256HexSchema.nullable(),
});
export type UsedOnNode = z.infer<typeof UsedOnNodeSchema>;

import { z } from "zod";
import { ByteCountSchema, EpochMsSchema, NodeIdSchema } from "../common/ids.js";
import { Sha256HexSchema } from "../models/sha256.js";
import { CatalogEntrySchema } from "./catalog-model.js";

/** GGUF header facts of a model, as workers read them. */
export const GgufFactsSchema = z.object({
  architecture: z.string().nullable(),
  parameter_count: z.int().min(0).nullable(),
  context_length: z.int().min(1).nullable(),
  quantization: z.string().nullable(),
  has_chat_template: z.boolean(),
});
export type GgufFacts = z.infer<typeof GgufFactsSchema>;

/**
 * Where a model is on one node: `verified` (the node reports the file, hashed), `staging` (a job is
 * transferring it, `bytes` so far), `partial` (an unfinished job left `bytes` on disk to resume from),
 * `absent` (a known node without it).
 */
export const NodePlacementStateSchema = z.enum(["verified", "staging", "partial", "absent"]);
export type NodePlacementState = z.infer<typeof NodePlacementStateSchema>;

export const NodePlacementSchema = z.object({
  node_id: NodeIdSchema,
  state: NodePlacementStateSchema,
  bytes: ByteCountSchema,
  /** File names on that node (several files with one digest are one model). */
  file_names: z.array(z.string()),
  /** The active or last staging job for this node, if any. */
  job_id: z.string().nullable(),
  updated_at_ms: EpochMsSchema,
});
export type NodePlacement = z.infer<typeof NodePlacementSchema>;

/**
 * GET /v2/catalog/models[/{id}]: a catalog entry plus, for models known by sha256, what the
 * cluster knows of them. `name` is the model's id as /v1/models lists it: its GGUF name, or
 * `name@<first 12 hex of sha256>` when two different files share that name.
 */
export const CatalogModelViewSchema = CatalogEntrySchema.extend({
  sha256: Sha256HexSchema.nullable(),
  /** Every name the model is known by: GGUF general.name, file names, operator record ids. */
  names: z.array(z.string()),
  /** How `name` was made (src-shared/models/model-id.ts): from general.name or the file name, aliased or not. */
  id_rule: z.object({ base: z.enum(["gguf_name", "file_name"]), alias: z.boolean() }).nullable(),
  gguf: GgufFactsSchema.nullable(),
  /** The orchestrator's own store holds it (`<data dir>/models`): every node can be staged from it. */
  in_store: z.boolean(),
  nodes: z.array(NodePlacementSchema),
});
export type CatalogModelView = z.infer<typeof CatalogModelViewSchema>;

export const CatalogModelViewListSchema = z.object({ models: z.array(CatalogModelViewSchema) });
export type CatalogModelViewList = z.infer<typeof CatalogModelViewListSchema>;

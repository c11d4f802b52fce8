import { z } from "zod";
import { ByteCountSchema } from "../common/ids.js";
import { Sha256HexSchema } from "../models/sha256.js";

export const AvailabilityPoolSchema = z.object({
  pool_id: z.string(),
  ready: z.boolean(),
  models: z.array(Sha256HexSchema),
});

export const AvailabilityNodeSchema = z.object({
  node_id: z.string(),
  address: z.string(),
  online: z.boolean(),
  /** Sorted, de-duplicated union of its pools' models. */
  models: z.array(Sha256HexSchema),
  pools: z.array(AvailabilityPoolSchema),
});

export const AvailabilityModelSchema = z.object({
  sha256: Sha256HexSchema,
  name: z.string(),
  size_bytes: ByteCountSchema.nullable(),
  /** Online nodes holding a verified copy. */
  nodes: z.array(z.string()),
});

/**
 * GET /v2/catalog/availability (spec §7.3 shape, models identified by sha256, plus `models`).
 * replicated_models: on every online node (and more than one node); single_node_models: on one pool.
 */
export const CatalogAvailabilityResponseSchema = z.object({
  nodes: z.record(z.string(), AvailabilityNodeSchema),
  total_models: z.int().min(0),
  replicated_models: z.array(Sha256HexSchema),
  single_node_models: z.array(Sha256HexSchema),
  models: z.array(AvailabilityModelSchema),
});
export type CatalogAvailabilityResponse = z.infer<typeof CatalogAvailabilityResponseSchema>;

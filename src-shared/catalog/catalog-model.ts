import { z } from "zod";

export const ModelLifecycleSchema = z.enum(["Active", "Retired"]);
export type ModelLifecycle = z.infer<typeof ModelLifecycleSchema>;

export const DigestSchema = z.object({ algo: z.string(), value: z.string().regex(/^[0-9a-f]+$/) });
export type Digest = z.infer<typeof DigestSchema>;

export const TrustPolicySchema = z.object({
  mode: z.enum(["strict", "permissive"]),
  allowed_registries: z.array(z.string()).optional(),
  require_signature: z.boolean().optional(),
  require_sbom: z.boolean().optional(),
  ca_roots: z.array(z.string()).optional(),
});

/** POST /v2/catalog/models body (spec §2.2 CatalogModelV2). `digest` is `algo:value`, e.g. sha256:<hex>. */
export const CatalogModelV2Schema = z.strictObject({
  id: z.string().min(1).max(1024).regex(/^[^\x00-\x1f\x7f]+$/, "no control characters"),
  /** Models are identified by their SHA-256 everywhere (workers hash what they serve). */
  digest: z.string().regex(/^sha256:[0-9a-fA-F]{64}$/, "must be sha256:<64 hex digits>, the model file's SHA-256"),
  /** Friendly name listed by /v1/models. */
  name: z.string().optional(),
  source_url: z.string().optional(),
  tags: z.array(z.string()).optional(),
  manifests: z.array(z.object({ digest: z.string(), size_bytes: z.int().min(0) })).optional(),
  signatures: z.array(z.object({ signer: z.string(), algo: z.string(), verified: z.boolean(), timestamp_ms: z.int().min(0) })).optional(),
  sbom: z.object({ uri: z.string(), digest: z.string() }).optional(),
  trust_policy: TrustPolicySchema.optional(),
});
export type CatalogModelV2 = z.infer<typeof CatalogModelV2Schema>;

/** A stored catalog entry, GET /v2/catalog/models/{id}. */
export const CatalogEntrySchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  local_path: z.string().nullable(),
  lifecycle: ModelLifecycleSchema,
  digest: DigestSchema.nullable(),
  size_bytes: z.int().min(0).nullable(),
  last_verified_ms: z.int().min(0).nullable(),
});
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

export const CatalogListResponseSchema = z.object({ models: z.array(CatalogEntrySchema) });
export type CatalogListResponse = z.infer<typeof CatalogListResponseSchema>;

/** POST /v2/catalog/models/{id}/state. */
export const CatalogStateRequestSchema = z.object({
  state: ModelLifecycleSchema,
  deadline_ms: z.int().min(0).optional(),
});
export type CatalogStateRequest = z.infer<typeof CatalogStateRequestSchema>;

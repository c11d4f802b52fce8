import { z } from "zod";
import { KeyLimitsInputSchema, KeyLimitsSchema } from "../auth/key-limits.js";
import { ScopeListSchema } from "../auth/scopes.js";
import { UsageCountsSchema } from "./key-usage.js";
import { NodeEligibilitySchema } from "../nodes/node-info.js";

/** An API key as listed (never the key itself: only its fingerprint). */
export const ApiKeyInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  fp6: z.string(),
  created_at_ms: z.int().min(0),
  revoked_at_ms: z.int().min(0).nullable(),
  /** Keys from LLORCH_API_TOKEN(S) or the generated file cannot be revoked here. */
  source: z.enum(["config", "generated", "api-key"]),
  /** What the key may do; configured and generated tokens are admin. */
  scopes: ScopeListSchema,
  /** Its per-key limits (configured and generated tokens have none). */
  limits: KeyLimitsSchema,
  /** What it used today (UTC); configured and generated tokens are one credential and share one count. */
  usage_today: UsageCountsSchema,
  /**
   * Tasks the key has waiting in the admission queue now (its share: admission_max_queued_per_key). The
   * configured and generated tokens are one identity, so their rows show the same count.
   */
  queued_tasks: z.int().min(0).optional(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfoSchema>;

export const ApiKeyListResponseSchema = z.object({ keys: z.array(ApiKeyInfoSchema) });
export type ApiKeyListResponse = z.infer<typeof ApiKeyListResponseSchema>;

export const CreateApiKeyRequestSchema = z.strictObject({
  /** Shown in the dashboard, the audit trail and terminal logs: no control characters (a newline or an escape sequence would forge lines there). */
  name: z
    .string()
    .trim()
    .min(1, "name the key (e.g. who uses it)")
    .max(100)
    .regex(/^[^\x00-\x1f\x7f-\x9f]*$/, "no control characters (newlines, tabs, escape sequences) in a key's name"),
  /** Default ["inference"]; never more than the creating credential holds. */
  scopes: ScopeListSchema.optional(),
  /** Default: no limits. */
  limits: KeyLimitsInputSchema.optional(),
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequestSchema>;

/** 201 of POST /v2/auth/keys: the key is shown once and stored only as a SHA-256 digest. */
export const CreatedApiKeySchema = ApiKeyInfoSchema.extend({ key: z.string() });
export type CreatedApiKey = z.infer<typeof CreatedApiKeySchema>;

/** POST /v2/auth/login-codes: a one-time dashboard login link. */
export const LoginCodeResponseSchema = z.object({ code: z.string(), url: z.string(), expires_in_ms: z.int().min(0) });
export type LoginCodeResponse = z.infer<typeof LoginCodeResponseSchema>;

/** POST /v2/nodes/{id}/drain and /undrain on the orchestrator: operator drain of a whole node. */
export const NodeDrainResponseSchema = z.object({ node_id: z.string(), drained: z.boolean(), eligibility: NodeEligibilitySchema });
export type NodeDrainResponse = z.infer<typeof NodeDrainResponseSchema>;


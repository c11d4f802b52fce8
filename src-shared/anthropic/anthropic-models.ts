import { z } from "zod";
import { queryInteger } from "../common/query-integer.js";
import { OpenAiModelListSchema, OpenAiModelSchema } from "../openai/openai-models.js";

// GET /v1/models and /v1/models/{id} as Anthropic's SDKs read them (client.models.list / retrieve):
// they send `anthropic-version`, and the same routes answer OpenAI's shape to everyone else.

/** The request header Anthropic's SDKs always send; it selects these shapes on the shared /v1/models routes. */
export const ANTHROPIC_VERSION_HEADER = "anthropic-version";

export const AnthropicModelSchema = z.object({
  type: z.literal("model"),
  id: z.string(),
  display_name: z.string(),
  /** RFC 3339: when the model became available here (the orchestrator's start; no node reports file times). */
  created_at: z.string(),
});
export type AnthropicModel = z.infer<typeof AnthropicModelSchema>;

/** One page of models; the SDK's auto-pagination follows `last_id` while `has_more`. */
export const AnthropicModelListSchema = z.object({
  data: z.array(AnthropicModelSchema),
  has_more: z.boolean(),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
});
export type AnthropicModelList = z.infer<typeof AnthropicModelListSchema>;

/**
 * Anthropic's page parameters (the OpenAI shape has none and ignores them): `limit` 1 to 1000 (default 20),
 * `after_id` / `before_id` a model id of the list (the page after or before it).
 */
export const ModelListQuerySchema = z.object({
  limit: queryInteger(1, 1000).optional(),
  after_id: z.string().min(1).optional(),
  before_id: z.string().min(1).optional(),
  /** Anthropic's SDKs before 1.x mark their beta calls with `?beta=true` (client.beta.models.list); the list is the same. */
  beta: z.enum(["true", "false"]).optional(),
});
export type ModelListQuery = z.infer<typeof ModelListQuerySchema>;

/** Anthropic's default page size. */
export const ANTHROPIC_MODEL_PAGE = 20;

/** GET /v1/models: OpenAI's list, or with anthropic-version Anthropic's page. */
export const ModelListResponseSchema = z.union([OpenAiModelListSchema, AnthropicModelListSchema]);
/** GET /v1/models/{id}: OpenAI's model, or with anthropic-version Anthropic's. */
export const ModelResponseSchema = z.union([OpenAiModelSchema, AnthropicModelSchema]);

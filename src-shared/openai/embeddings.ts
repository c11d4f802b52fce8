import { z } from "zod";
import type { ParamPolicy } from "../compat/param-policy.js";
import { present } from "../compat/param-policy.js";
import { MAX_EMBEDDING_INPUTS } from "../tasks/generation.js";

/**
 * POST /v1/embeddings. Loose like the other OpenAI bodies; token-id inputs parse so that they can be
 * refused by name (EMBEDDING_PARAMS).
 */
export const EmbeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(MAX_EMBEDDING_INPUTS), z.array(z.int()).min(1), z.array(z.array(z.int())).min(1)], { error: `a string or 1 to ${MAX_EMBEDDING_INPUTS} strings (send more in several requests)` }),
  /** float (default) or base64: little-endian float32 bytes, what the openai SDKs ask for by default. */
  encoding_format: z.enum(["float", "base64"]).nullable().optional(),
  /** Refused when set (EMBEDDING_PARAMS); null, as OpenAI reads it, is not set. */
  dimensions: z.int().min(1).nullable().optional(),
  user: z.string().nullable().optional(),
});
export type EmbeddingRequest = z.infer<typeof EmbeddingRequestSchema>;

export const EmbeddingResponseSchema = z.object({
  object: z.literal("list"),
  data: z.array(z.object({ object: z.literal("embedding"), index: z.int().min(0), embedding: z.union([z.array(z.number()), z.string()]) })),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.int().min(0), total_tokens: z.int().min(0) }),
});
export type EmbeddingResponse = z.infer<typeof EmbeddingResponseSchema>;

const tokenIds = (value: unknown): boolean => Array.isArray(value) && value.some((v) => typeof v !== "string");

/** Parameters of POST /v1/embeddings. */
export const EMBEDDING_PARAMS: ParamPolicy = {
  unknownNote: "it is not an embeddings parameter this server knows, so it cannot be honoured",
  rules: [
    { param: "model", support: "supported", note: "an id from GET /v1/models; the vectors come from an embedding context of that model's pool, scaled to length 1 as OpenAI's (dot product is the cosine)" },
    { param: "input", support: "partial", note: `a string or up to ${MAX_EMBEDDING_INPUTS} strings; token-id inputs are refused (they would be another tokenizer's ids: LangChain's Python OpenAIEmbeddings sends them unless check_embedding_ctx_length is false; LangChain JS sends strings)`, refuses: tokenIds },
    { param: "encoding_format", support: "supported", note: "float or base64 (little-endian float32)" },
    { param: "dimensions", support: "refused", note: "vectors have the model's own size; shortening them is not available", refuses: present },
    { param: "user", support: "supported", note: "recorded like on chat completions" },
  ],
};

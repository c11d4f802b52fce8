import { z } from "zod";
import { LogitBiasSchema, MAX_STOP_STRINGS, MAX_TOKENS_LIMIT } from "../worker-api/sampling.js";

const StopStringSchema = z.string().min(1, "a stop string cannot be empty");

/**
 * An output limit: at most what one request may generate (the worker's infer takes no more; a larger
 * value that fit a big model's context was passed on and refused by the worker, naming no field). OpenAI
 * refuses a limit above a model's maximum output the same way.
 */
export const OpenAiOutputLimitSchema = z.int().min(1).max(MAX_TOKENS_LIMIT, `at most ${MAX_TOKENS_LIMIT} tokens are generated per request`);

// Request fields shared by /v1/chat/completions and /v1/completions. Optional fields accept null as
// "not set", as OpenAI's API does (LiteLLM and other clients send explicit nulls).
export const OPENAI_SAMPLING_FIELDS = {
  model: z.string().min(1),
  stream: z.boolean().nullable().optional(),
  max_tokens: OpenAiOutputLimitSchema.nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  seed: z.int().nullable().optional(),
  /** llama.cpp's extension, as its own server accepts it. */
  top_k: z.int().min(0).nullable().optional(),
  /** llama.cpp's extensions, as its own server accepts them (see sampling.ts for their meaning). */
  min_p: z.number().min(0).max(1).nullable().optional(),
  repeat_penalty: z.number().gt(0).max(10).nullable().optional(),
  repeat_last_n: z.int().min(-1).max(MAX_TOKENS_LIMIT).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  logit_bias: LogitBiasSchema.nullable().optional(),
  cache_prompt: z.boolean().nullable().optional(),
  /** Non-empty strings, as the engines take them (an empty one was passed on and refused by the worker, naming no field). */
  stop: z.union([StopStringSchema, z.array(StopStringSchema).max(MAX_STOP_STRINGS)]).nullable().optional(),
  /** Only one choice per request is served; n > 1 is refused by name (openai-params.ts). */
  n: z.int().min(1).nullable().optional(),
  user: z.string().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
} as const;

export const FinishReasonSchema = z.enum(["stop", "length", "tool_calls"]);
export type FinishReason = z.infer<typeof FinishReasonSchema>;

export const UsageSchema = z.object({
  prompt_tokens: z.int().min(0),
  completion_tokens: z.int().min(0),
  total_tokens: z.int().min(0),
});
export type Usage = z.infer<typeof UsageSchema>;

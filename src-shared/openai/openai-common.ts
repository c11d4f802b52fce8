import { z } from "zod";

// Request fields shared by /v1/chat/completions and /v1/completions. Optional fields accept null as
// "not set", as OpenAI's API does (LiteLLM and other clients send explicit nulls).
export const OPENAI_SAMPLING_FIELDS = {
  model: z.string().min(1),
  stream: z.boolean().nullable().optional(),
  max_tokens: z.int().min(1).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  seed: z.int().nullable().optional(),
  /** llama.cpp's extension, as its own server accepts it. */
  top_k: z.int().min(0).nullable().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullable().optional(),
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

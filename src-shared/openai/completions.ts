import { z } from "zod";
import { FinishReasonSchema, OPENAI_SAMPLING_FIELDS, UsageSchema } from "./openai-common.js";
import { CompletionLogprobsSchema } from "./openai-tools.js";

/**
 * POST /v1/completions (legacy text completion). Loose, like chat. Prompt arrays and token-id prompts
 * parse; the adapter serves one string and refuses the rest by name (COMPLETION_PARAMS).
 */
export const CompletionRequestSchema = z.looseObject({
  ...OPENAI_SAMPLING_FIELDS,
  prompt: z.union([z.string(), z.array(z.string()).min(1), z.array(z.int()).min(1), z.array(z.array(z.int())).min(1)]),
  echo: z.boolean().nullable().optional(),
  /** Fill in the middle: the text after the completion (a model with fill-in-the-middle tokens). */
  suffix: z.string().nullable().optional(),
  /** Alternatives to report per token (0 to 5); null or absent: no logprobs. */
  logprobs: z.int().min(0).max(5).nullable().optional(),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

export const CompletionResponseSchema = z.object({
  id: z.string(),
  object: z.literal("text_completion"),
  created: z.int().min(0),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.int().min(0),
      text: z.string(),
      finish_reason: FinishReasonSchema.nullable(),
      logprobs: CompletionLogprobsSchema.nullable(),
    }),
  ),
  usage: UsageSchema.optional(),
});
export type CompletionResponse = z.infer<typeof CompletionResponseSchema>;

/** Streamed chunk: the response object with one text fragment per choice; usage only on the last one. */
export const CompletionChunkSchema = CompletionResponseSchema.extend({
  usage: UsageSchema.nullable().optional(),
});
export type CompletionChunk = z.infer<typeof CompletionChunkSchema>;

/** The literal that terminates an OpenAI stream. */
export const OPENAI_STREAM_DONE = "[DONE]";

import { z } from "zod";
import { FinishReasonSchema, OPENAI_SAMPLING_FIELDS, UsageSchema } from "./openai-common.js";

// Content may be a string or an array of parts; only text parts are supported.
const TextPartSchema = z.looseObject({ type: z.literal("text"), text: z.string() });

export const OpenAiChatMessageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(TextPartSchema)]).nullable(),
  name: z.string().optional(),
});
export type OpenAiChatMessage = z.infer<typeof OpenAiChatMessageSchema>;

/**
 * POST /v1/chat/completions. Loose: unknown keys (logprobs, tools, …) pass through so real SDK
 * clients are not rejected; the server ignores what it does not support.
 */
export const ChatCompletionRequestSchema = z.looseObject({
  ...OPENAI_SAMPLING_FIELDS,
  messages: z.array(OpenAiChatMessageSchema).min(1),
  /** Newer name for max_tokens; wins when both are sent. */
  max_completion_tokens: z.int().min(1).nullable().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

/** Text of a message, with content parts concatenated. */
export function chatMessageText(message: OpenAiChatMessage): string {
  if (message.content === null) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => part.text).join("");
}

export const ChatCompletionResponseSchema = z.object({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.int().min(0),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.int().min(0),
      message: z.object({ role: z.literal("assistant"), content: z.string() }),
      finish_reason: FinishReasonSchema,
      logprobs: z.null(),
    }),
  ),
  usage: UsageSchema,
  system_fingerprint: z.string().optional(),
});
export type ChatCompletionResponse = z.infer<typeof ChatCompletionResponseSchema>;

/** One `data:` line of a streamed chat completion; the stream ends with `data: [DONE]`. */
export const ChatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal("chat.completion.chunk"),
  created: z.int().min(0),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.int().min(0),
      delta: z.object({ role: z.literal("assistant").optional(), content: z.string().optional() }),
      finish_reason: FinishReasonSchema.nullable(),
      logprobs: z.null().optional(),
    }),
  ),
  /** Only on the final chunk, when stream_options.include_usage is set. */
  usage: UsageSchema.nullable().optional(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunkSchema>;
